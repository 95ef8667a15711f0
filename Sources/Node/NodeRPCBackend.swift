import LedgerCore
import LedgerCrypto
import LedgerStore
import P2P
import PBFT
import RPC

/// The node's answers to RPC calls: reads from the store, writes through the driver's mempool.
struct NodeRPCBackend: RPCBackend {
    let driver: ConsensusDriver
    let admissions: AdmissionQueue
    let store: LedgerStore
    let network: PeerNetwork
    let genesis: Genesis
    let verifiedTransactions: VerifiedTransactionCache
    /// The consensus-signature cache (its statistics are scraped for `/metrics`).
    let signatures: CachingSignatureScheme
    /// The configured P2P listen address (for `net_info`).
    let p2pListen: String
    /// Where admissions and scraped gauges are recorded.
    let metrics: NodeMetrics
    /// Every peer's gossip budget (its counts are scraped for `/metrics`).
    let gossipBudgets: GossipBudgets
    /// Refused peer messages by peer and reason.
    let peerRefusals: PeerRefusals

    /// The driver's view, primary and mempool as of its last refresh (reads never wait on the driver actor).
    let inspection: InspectionSnapshot

    /// Answered from the inspection snapshot and the store, without waiting on the driver.
    func status() async -> NodeStatus {
        let inspection = inspection.current
        let seat = driver.seat
        let head = try? store.head()
        let peers = network.metrics.connectedOutbound.map { ReplicaID($0.index) }.sorted()
        return NodeStatus(
            chainID: genesis.chainID, nodeID: seat.role == .validator ? seat.replicaID : nil, role: seat.role.rawValue,
            height: head?.height ?? .zero,
            latestBlockHash: head?.hash ?? .zero, latestBlockTimeMs: head?.header.timestamp ?? genesis.genesisTimeMs,
            view: inspection.view, primary: inspection.primary, isCatchingUp: inspection.isCatchingUp, peers: peers,
            isChangingView: inspection.isChangingView, mempoolSize: inspection.mempoolSize,
            openSequences: inspection.openSequences, votesWithheldUntil: inspection.votingFence,
            followsUntilView: inspection.followsUntilView, version: SoftwareVersion.current)
    }

    func netInfo() async -> NetInfo {
        let m = network.metrics
        let seat = driver.seat
        let peers = seat.validators.filter { $0.id != seat.replicaID || seat.role == .full }.map { v in
            PeerStatus(id: v.id.index, address: v.p2pAddress, isOutboundConnected: m.connectedOutbound.contains(PeerID(v.id.index)),
                       isInboundConnected: m.connectedInbound.contains(PeerID(v.id.index)))
        }
        return NetInfo(isListening: true, p2pListen: p2pListen, peers: peers)
    }

    /// Decodes and checks everything that needs no state: encoding, chain, signature.
    private func decode(_ encoded: [UInt8]) throws(RPCError) -> Transaction {
        let tx: Transaction
        do { tx = try Transaction.decode(encoded) } catch {
            let reason: String = if case .inputTooLarge = error { "too_large" } else { "malformed" }
            throw .transactionRejected(reason: reason, message: MempoolRejection.malformed("\(error)").description,
                                       details: [("detail", "\(error)")])
        }
        guard tx.chainID == genesis.chainID else {
            throw Self.rejection(.wrongChain(expected: genesis.chainID, found: tx.chainID))
        }
        return tx
    }

    static func rejection(_ r: MempoolRejection) -> RPCError {
        if r == .shuttingDown { return .shuttingDown }
        if case .storeUnavailable = r { return .internalError(r.description) }
        return .transactionRejected(reason: r.reasonCode, message: r.description, details: r.details)
    }

    /// What the mempool would answer each of `txs` now (`Mempool.check`: amount, a duplicate or
    /// taken (sender, nonce), the sender's account and cap, its balance with what its waiting
    /// transactions may spend), asked before the signatures are checked so that a transaction that
    /// cannot succeed costs no signature check. The driver asks again when it admits.
    private func precheck(_ txs: [Transaction]) -> [MempoolRejection?] {
        // The accounts first, then the mempool: a block committed in between can then only make
        // the answer more lenient (see `Mempool.check`). When the store cannot be read, the
        // driver's own read reports it.
        guard let accounts = try? store.accounts(for: txs.lazy.map(\.sender)) else { return txs.map { _ in nil } }
        return txs.map { driver.mempool.check($0, chainID: genesis.chainID, account: accounts.account($0.sender), fromClient: true) }
    }

    func submitChange(_ encoded: [UInt8]) async throws(RPCError) -> Digest {
        let change: ValidatorSetChange
        do { change = try ValidatorSetChange.decode(encoded) } catch {
            let rejection = ChangeRejection.malformed("\(error)")
            throw .changeRejected(reason: rejection.reason, message: rejection.description)
        }
        do {
            return try await driver.admitChange(change, fromClient: true)
        } catch {
            if error == .shuttingDown { throw .shuttingDown }
            throw .changeRejected(reason: error.reason, message: error.description)
        }
    }

    func submitTransaction(_ encoded: [UInt8]) async throws(RPCError) -> Digest {
        let tx = try decode(encoded)
        try await admit(tx)
        return tx.hash
    }

    /// Admits a JSON-RPC batch's submissions together (one admission round, in order).
    func submitTransactions(_ encoded: [[UInt8]]) async -> [Result<Digest, RPCError>] {
        if let busy = driver.busyGate.cachedRefusal(nowMs: ConsensusDriver.nowMs()) {
            return Array(repeating: .failure(Self.rejection(busy)), count: encoded.count)
        }
        var results: [Result<Digest, RPCError>?] = Array(repeating: nil, count: encoded.count)
        var decoded: [(index: Int, tx: Transaction)] = []
        for (i, bytes) in encoded.enumerated() {
            do throws(RPCError) { decoded.append((i, try decode(bytes))) } catch { results[i] = .failure(error) }
        }
        var checked: [(index: Int, tx: Transaction)] = []
        // A sender's consecutive nonces in one batch: the precheck sees the mempool before any of them is admitted,
        // so the second looks like a gap; the driver admits them in order and decides.
        var passedNonces: [PublicKey: Set<UInt64>] = [:]
        for ((i, tx), refusal) in zip(decoded, precheck(decoded.map(\.tx))) {
            do throws(RPCError) {
                if case .nonceGap? = refusal, tx.nonce > 0, passedNonces[tx.sender]?.contains(tx.nonce - 1) == true {
                    // follows a transaction of this batch that passed: checked by the driver in order
                } else if let refusal {
                    try settle(tx, refusal)
                    results[i] = .success(tx.hash)
                    continue
                }
                guard verifiedTransactions.contains(tx.hash) || tx.hasValidSignature else { throw Self.rejection(.badSignature) }
                checked.append((i, tx))
                passedNonces[tx.sender, default: []].insert(tx.nonce)
            } catch {
                results[i] = .failure(error)
            }
        }
        let outcomes = await admissions.admit(checked.map(\.tx), fromClient: true)
        for ((i, tx), outcome) in zip(checked, outcomes) {
            do throws(RPCError) {
                try settle(tx, outcome)
                results[i] = .success(tx.hash)
            } catch {
                results[i] = .failure(error)
            }
        }
        return results.map { $0 ?? .failure(.internalError("submission was not answered")) }
    }

    /// Admits `tx`; a transaction already waiting or already committed counts as admitted (idempotent).
    private func admit(_ tx: Transaction) async throws(RPCError) {
        if let busy = driver.busyGate.cachedRefusal(nowMs: ConsensusDriver.nowMs()) { throw Self.rejection(busy) }
        if let refusal = precheck([tx]).first ?? nil { return try settle(tx, refusal) }
        if !verifiedTransactions.contains(tx.hash) {
            guard tx.hasValidSignature else { throw Self.rejection(.badSignature) }
        }
        try settle(tx, await admissions.admit([tx], fromClient: true).first ?? nil)
    }

    /// Turns an admission outcome into the RPC answer: admitted, or a duplicate of a waiting or
    /// committed transaction, both succeed; anything else is the rejection.
    private func settle(_ tx: Transaction, _ outcome: MempoolRejection?) throws(RPCError) {
        guard let error = outcome else {
            metrics.admitted(tx.hash)
            return
        }
        switch error {
        case .duplicate:
            return
        case .nonceUsed:
            // The very same transaction may already be in a block.
            if let stored = try? store.transaction(hash: tx.hash), stored.transaction == tx { return }
            throw Self.rejection(error)
        default:
            throw Self.rejection(error)
        }
    }

    func submitTransactionAsync(_ encoded: [UInt8]) async throws(RPCError) -> Digest {
        let tx = try decode(encoded)
        let backend = self
        Task { try? await backend.admit(tx) }
        return tx.hash
    }

    func account(_ address: Address) async throws(RPCError) -> Account {
        do {
            return try store.loadAccount(address.publicKey) ?? Account(publicKey: address.publicKey, balance: 0, nonce: 0)
        } catch {
            throw .internalError("\(error)")
        }
    }

    func block(at height: Height?) async throws(RPCError) -> Block? {
        do {
            let h = try height ?? store.head().height
            return try store.block(at: h)
        } catch {
            throw .internalError("\(error)")
        }
    }

    func validatorSet(at height: Height?) async throws(RPCError) -> ValidatorSetInfo {
        do {
            let head = try store.head().height
            var info: ValidatorSetInfo
            if let height {
                guard height <= head else { throw RPCError.notFound("validators", "no block at height \(height.rawValue) yet (head \(head.rawValue))") }
                let set = try store.validatorSet(at: height, genesis: genesis)
                info = ValidatorSetInfo(height: height, epoch: set.epoch, validators: set.validators, pending: nil)
            } else {
                let membership = try store.membership(genesis: genesis)
                info = ValidatorSetInfo(height: head, epoch: membership.epoch, validators: membership.validators, pending: membership.pending)
            }
            if info.epoch > 0 {
                info.firstHeight = try store.firstHeight(ofEpoch: info.epoch)
                if let s = try store.changeBlock(beginning: info.epoch),
                   let raw = try store.rawBlocks(from: s, count: 1, maxBytes: Int.max).first {
                    info.startedBy = (s, raw.batch)
                }
            }
            return info
        } catch let error as RPCError {
            throw error
        } catch {
            throw .internalError("\(error)")
        }
    }

    func block(hash: Digest) async throws(RPCError) -> Block? {
        do { return try store.block(hash: hash) } catch { throw .internalError("\(error)") }
    }

    func latestHeight() async throws(RPCError) -> Height {
        do { return try store.head().height } catch { throw .internalError("\(error)") }
    }

    func headers(from start: Height, count: Int) async throws(RPCError) -> [BlockHeader] {
        do { return try store.headers(from: start, count: count) } catch { throw .internalError("\(error)") }
    }

    func commit(at height: Height?) async throws(RPCError) -> CommitInfo? {
        do {
            let h = try height ?? store.head().height
            guard h > .zero, let header = try store.headers(from: h, count: 1).first, header.height == h,
                  let bytes = try store.certificate(at: h) else { return nil }
            // The certificate's own epoch's set may be smaller or larger than genesis's: decoded within the largest allowed.
            let certificate = try? CommitCertificate.decode(bytes, replicaCount: Limits.validatorsMax)
            return CommitInfo(
                blockHash: header.hash, header: header, certificate: bytes, view: certificate?.view ?? header.view,
                signatures: certificate?.commits.map { (validator: $0.signer, signature: $0.signature) } ?? [])
        } catch {
            throw .internalError("\(error)")
        }
    }

    func transaction(hash: Digest) async throws(RPCError) -> TransactionLookup {
        do {
            if let stored = try store.transaction(hash: hash) {
                if let block = try store.block(at: stored.height),
                   let found = TransactionLookup.included(in: block, at: Int(stored.index)) {
                    return found
                }
                throw RPCError.internalError("transaction \(hash.hex) is indexed at height \(stored.height.rawValue) but its block is unreadable")
            }
        } catch let e as RPCError {
            throw e
        } catch {
            throw .internalError("\(error)")
        }
        if let pending = driver.pendingTransaction(hash) {
            return TransactionLookup(hash: hash, status: .pending, transaction: pending)
        }
        return TransactionLookup(hash: hash, status: .unknown)
    }

    func unconfirmedTransactions(limit: Int) async -> (total: Int, transactions: [Transaction]) {
        // The count alone (num_unconfirmed_txs) comes from the snapshot; a listing reads the mempool under its
        // own lock. Neither waits for the driver actor.
        if limit <= 0 { return (inspection.current.mempoolSize, []) }
        return driver.pendingTransactions(limit: limit)
    }

    func evidence() async -> [EvidenceInfo] {
        driver.events.evidence.map(Self.info)
    }

    static func info(_ e: EquivocationEvidence) -> EvidenceInfo {
        let kind: String = switch e.first.slot.phase {
        case .prePrepare: "pre_prepare"
        case .prepare: "prepare"
        case .commit: "commit"
        case .checkpoint: "checkpoint"
        }
        return EvidenceInfo(
            offender: e.offender, kind: kind, view: e.first.slot.view, sequence: e.first.slot.sequence,
            first: e.first.contentDigest, second: e.second.contentDigest,
            firstSignature: signature(e.first), secondSignature: signature(e.second))
    }

    private static func signature(_ s: SignedStatement) -> Signature {
        switch s {
        case let .prePrepare(m): m.signature
        case let .prepare(m): m.signature
        case let .commit(m): m.signature
        case let .checkpoint(m): m.signature
        }
    }

    func subscribeBlocks(buffer: Int) -> BlockFeed {
        let events = driver.events
        let (subscription, blocks) = events.subscribeBlocks(buffer: buffer)
        return BlockFeed(blocks: blocks, cancel: { events.unsubscribe(subscription) })
    }

    func refreshMetrics() async {
        let inspection = inspection.current
        metrics.scraped(height: (try? store.head().height.rawValue) ?? 0, mempool: inspection.mempoolSize,
                        votesWithheldUntil: inspection.votingFence?.rawValue ?? 0,
                        viewChangesAbandoned: inspection.viewChangesAbandoned,
                        view: inspection.view.rawValue, signatures: signatures.statistics,
                        droppedPeerMessages: driver.droppedFromFullQueues.load(ordering: .relaxed),
                        droppedBeforeVerification: driver.droppedBeforeVerification.load(ordering: .relaxed),
                        refusedOffSignerLink: driver.refusedOffSignerLink.load(ordering: .relaxed),
                        transport: network.metrics, gossip: gossipBudgets, seat: driver.seat,
                        otherEpochMessages: driver.otherEpochMessages.load(ordering: .relaxed))
        metrics.metrics.setLabelledTotals(peerRefusals.prometheusTotals)
    }
}
