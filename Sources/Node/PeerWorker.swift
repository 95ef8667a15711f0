import Dispatch
import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT

/// Decodes and verifies one peer's messages off the driver actor, then delivers them. Each peer has
/// two workers, one for its consensus and block-transfer messages and one for its transaction
/// gossip, so peers and lanes are verified in parallel and each lane keeps the peer's order.
struct PeerWorker: Sendable {
    let driver: ConsensusDriver
    let store: LedgerStore
    let network: PeerNetwork
    /// The ledger's batch check (transactions' signatures, chain, limits) every verified batch passes.
    let checkBatch: @Sendable (Batch) -> BatchCheck
    let cache: VerifiedTransactionCache
    let admissions: AdmissionQueue
    let genesis: Genesis
    /// What this peer's transaction gossip may cost (charged before anything is decoded).
    let gossipBudget: PeerGossipBudget
    /// A monotonic clock in milliseconds (the gossip budget's refill).
    let clock: @Sendable () -> UInt64
    /// The node's count and rate-limited log of refused peer messages.
    let refusals: PeerRefusals
    let logger: Logger

    /// Milliseconds since boot, never going back.
    @Sendable static func monotonicMs() -> UInt64 { DispatchTime.now().uptimeNanoseconds / 1_000_000 }

    /// Processes the lane's messages in order, calling `done` after each (it frees the peer's receive budget).
    func run(_ stream: AsyncStream<PeerMessage>, done: @Sendable (PeerMessage) -> Void) async {
        for await message in stream {
            await process(message)
            done(message)
        }
    }

    func process(_ message: PeerMessage) async {
        // Full nodes are counted and logged together: their ids are many and chosen by their keys.
        let from = message.from.isFullNode ? ReplicaID(GossipBudgets.fullNodesKey) : ReplicaID(message.from.index)
        guard let (kind, body) = Envelope.unwrap(message.bytes) else {
            refusals.refused(.unknownKind, from: from, logger: logger)
            return
        }
        // A full node may ask for blocks and relay transactions, nothing else.
        if message.from.isFullNode, kind == .consensus || kind == .blockResponse {
            refusals.refused(.notFromAValidator, from: from, logger: logger)
            return
        }
        // A full node keeps the pushed blocks during its transfers: they are how it follows (the intake
        // filter still refuses those beyond a window).
        if Self.dropsBeforeDecoding(kind, body, transferring: driver.isTransferringState && driver.role == .validator) {
            driver.droppedDuringTransfer.add(1, ordering: .relaxed)
            logger.trace("dropped a payload during state transfer", metadata: ["peer": "\(from)", "kind": "\(kind)"])
            return
        }
        switch kind {
        case .consensus:
            do {
                // The keys of the driver's epoch (and of the previous one while its retired replica answers
                // laggards): decoded within the largest set, then checked against the set of the message's epoch.
                let seat = driver.seat
                let message = try LedgerMessage.decode(
                    Array(body), replicaCount: seat.keys.decodingReplicaCount, window: genesis.consensus.window)
                // Cheap checks first. A kind the replica answers to its signer counts only on the
                // signer's own link, so a replayed copy cannot aim the answer at someone else
                // (`mustArriveFromSigner`).
                guard message.mayArrive(from: from) else {
                    driver.refusedOffSignerLink.add(1, ordering: .relaxed)
                    logger.debug("refused a consensus message off its signer's link", metadata: [
                        "kind": "\(message.kindName)", "peer": "\(from)",
                        "signer": "\(message.signer.map(\.description) ?? "-")",
                    ])
                    return
                }
                // A batch the replica would drop on arrival is not worth its signatures.
                if let reason = driver.intake.withLock({ $0.refusal(message) }) {
                    driver.droppedBeforeVerification.add(1, ordering: .relaxed)
                    logger.trace("dropped before verification", metadata: ["peer": "\(from)", "kind": "\(message.kindName)", "reason": "\(reason)"])
                    return
                }
                let epoch = message.epoch ?? seat.epoch
                let scheme = try seat.keys.scheme(epoch: epoch, local: seat.epoch)
                let verifier = LedgerMessageVerifier(
                    context: SigningContext(chainID: genesis.chainID, epoch: epoch), scheme: scheme, checkBatch: checkBatch)
                let verified = try verifier.verify(message)
                logger.debug("received", metadata: ["kind": "\(verified.message.kindName)", "peer": "\(from)"])
                await driver.deliver(verified)
            } catch {
                switch error {
                case .epochAhead, .epochBehind:
                    // Around a validator-set change the two ends of a link switch epochs apart: expected, and PBFT's
                    // retransmission brings what is lost. Counted, not blamed on the peer.
                    driver.otherEpochMessages.add(1, ordering: .relaxed)
                    logger.debug("dropped a consensus message of another epoch", metadata: ["peer": "\(from)", "reason": "\(error)"])
                default:
                    refusals.refused(.consensus, from: from, error: error, logger: logger)
                }
            }
        case .transaction:
            await admitGossip([Array(body)], from: from)
        case .transactions:
            do { await admitGossip(try TransactionGossip.split(body), from: from) } catch {
                gossipBudget.penalize(.malformed, bytes: body.count)
                refusals.refused(.malformedGossip, from: from, error: error, logger: logger)
            }
        case .validatorSetChange:
            await admitGossipedChange(Array(body), from: from)
        case .blockRequest:
            guard let request = try? BlockRequest.decode(Array(body)) else {
                refusals.refused(.malformedBlockRequest, from: from, logger: logger)
                return
            }
            let response = BlockServer.serve(request, store: store)
            logger.debug("serving blocks", metadata: [
                "peer": "\(from)", "from": "\(request.from.rawValue)", "count": "\(response.blocks.count)",
            ])
            _ = network.send(Envelope.wrap(.blockResponse, response.encoded()), to: message.from)
        case .blockResponse:
            do { await driver.receive(try BlockResponse.decode(Array(body)), from: from) } catch {
                refusals.refused(.malformedBlockResponse, from: from, error: error, logger: logger)
            }
        }
    }

    /// Whether a payload is transaction gossip (it travels in the gossip lane, apart from votes).
    static func isGossip(_ payload: [UInt8]) -> Bool {
        guard let (kind, _) = Envelope.unwrap(payload) else { return false }
        return kind == .transaction || kind == .transactions || kind == .validatorSetChange
    }

    /// A peer's gossiped validator-set change: charged to the peer's gossip budget before it is decoded, then
    /// admitted by the driver with the chain's rule (signatures last). One that does not decode or that the rule
    /// refuses costs the peer the fault penalty and is counted and logged (rate-limited); one already held, or
    /// refused only because another is pending or the pool is full, is not the peer's fault.
    private func admitGossipedChange(_ bytes: [UInt8], from: ReplicaID) async {
        let (covered, _) = gossipBudget.take([bytes.count], nowMs: clock())
        guard covered == 1 else { return }
        let change: ValidatorSetChange
        do { change = try ValidatorSetChange.decode(bytes) } catch {
            gossipBudget.penalize(.malformed, bytes: bytes.count)
            refusals.refused(.refusedChange, from: from, error: error, logger: logger)
            return
        }
        do {
            _ = try await driver.admitChange(change, fromClient: false)
        } catch {
            switch error {
            case .refused(.changePending), .refused(.wrongEpoch), .full, .shuttingDown:
                logger.debug("gossiped validator-set change not admitted", metadata: ["peer": "\(from)", "reason": "\(error)"])
            case .malformed, .refused:
                gossipBudget.penalize(.badSignature, bytes: bytes.count)
                refusals.refused(.refusedChange, from: from, error: error, logger: logger)
            }
        }
    }

    /// Whether a payload is dropped before it is decoded: only while this node fetches blocks by
    /// state transfer, and then
    /// - PRE-PREPAREs and COMMITTED-BATCHes: their batches would cost a signature check per
    ///   transaction for blocks the transfer (or, after it, retransmission) brings anyway; a dropped
    ///   message is a lost message, which PBFT tolerates (a profile of a restarted node catching up
    ///   under load had 37 % of its CPU in those checks);
    /// - transaction gossip: it is the sending node's copy for the others, the network holds these
    ///   transactions already, and a node whose accounts are blocks behind cannot judge their nonces
    ///   (44 % of the same profile).
    /// Everything else (votes, view changes, fetched batches, block requests and responses) is kept.
    static func dropsBeforeDecoding(_ kind: EnvelopeKind, _ body: some Collection<UInt8>, transferring: Bool) -> Bool {
        guard transferring else { return false }
        switch kind {
        case .consensus: return LedgerMessage.isCommittedBatch(encoded: body) || LedgerMessage.isPrePrepare(encoded: body)
        case .transaction, .transactions: return true
        case .blockRequest, .blockResponse, .validatorSetChange: return false
        }
    }

    /// Admits a peer's gossiped transactions, cheapest checks first (decision 0009):
    /// 1. the peer's budget (`PeerGossipBudget`), before anything is decoded: the transactions past it
    ///    are dropped undecoded and counted (`ledger_gossip_dropped_over_budget`), logged at most every
    ///    `gossipBudgetLogIntervalMs`;
    /// 2. decoding, the chain and a zero amount; a transaction whose hash is known valid skips to 5;
    /// 3. the mempool against the sender's committed account (`Mempool.check`, gossip rules), so a
    ///    duplicate, a used nonce, an empty balance or an unknown sender costs no signature check;
    /// 4. the signature (each valid one once per node: known hashes skip it);
    /// 5. admission, queued in order without waiting while the queue is short.
    /// What an honest sender would have refused itself (undecodable, another chain, zero amount, an
    /// unknown sender, a bad signature) costs the peer the fault penalty. A bad one is logged and
    /// skipped, not the frame.
    private func admitGossip(_ encoded: [[UInt8]], from: ReplicaID) async {
        let (covered, dropsToLog) = gossipBudget.take(encoded.map(\.count), nowMs: clock())
        if let dropsToLog {
            logger.warning("a peer's transaction gossip is over its budget: dropping the excess undecoded", metadata: [
                "peer": "\(from)", "dropped": "\(dropsToLog)", "dropped_total": "\(gossipBudget.counts.overBudget)",
                "budget_tx_per_s": "\(gossipBudget.allowance.transactionsPerSecond)",
            ])
        }
        var decoded: [(tx: Transaction, bytes: Int, known: Bool)] = []
        decoded.reserveCapacity(covered)
        for bytes in encoded.prefix(covered) {
            let tx: Transaction
            do { tx = try Transaction.decode(bytes) } catch {
                gossipBudget.penalize(.malformed, bytes: bytes.count)
                logger.debug("refused gossiped transaction", metadata: ["peer": "\(from)", "error": "\(error)"])
                continue
            }
            if let fault: GossipFault = tx.chainID != genesis.chainID ? .wrongChain : tx.amount == 0 ? .zeroAmount : nil {
                gossipBudget.penalize(fault, bytes: bytes.count)
                logger.debug("refused gossiped transaction", metadata: ["peer": "\(from)", "reason": "\(fault.rawValue)"])
                continue
            }
            decoded.append((tx, bytes.count, cache.contains(tx.hash)))
        }
        let refusals = precheck(decoded.lazy.filter { !$0.known }.map(\.tx))
        var valid: [Transaction] = []
        valid.reserveCapacity(decoded.count)
        var next = refusals.makeIterator()
        var checked = 0
        for (tx, bytes, known) in decoded {
            if !known {
                if let refusal = next.next() ?? nil {
                    if case .unknownSender = refusal { gossipBudget.penalize(.unknownSender, bytes: bytes) }
                    logger.debug("gossiped transaction refused before its signature", metadata: ["peer": "\(from)", "reason": "\(refusal)"])
                    continue
                }
                checked += 1
                guard tx.hasValidSignature else {
                    gossipBudget.penalize(.badSignature, bytes: bytes)
                    logger.debug("refused gossiped transaction: bad signature", metadata: ["peer": "\(from)"])
                    continue
                }
            }
            valid.append(tx)
        }
        gossipBudget.checkedSignatures(checked)
        // Queued without waiting, so the lane verifies the next frame while the driver admits this one.
        if admissions.enqueue(valid, fromClient: false) { return }
        let results = await admissions.admit(valid, fromClient: false)
        for case let rejection? in results {
            logger.debug("gossiped transaction not admitted", metadata: ["peer": "\(from)", "reason": "\(rejection)"])
        }
    }

    /// What the mempool would answer each of `txs` as gossip now, before their signatures are checked
    /// (`Mempool.check`); a sender with no account is `unknownSender` (the gossip rules read it as an
    /// empty balance). The accounts are read first, so a block committed in between can only make the
    /// answer more lenient. When the store cannot be read, nothing is refused here (the driver reports it).
    private func precheck(_ txs: some Collection<Transaction>) -> [MempoolRejection?] {
        guard !txs.isEmpty, let accounts = try? store.accounts(for: txs.lazy.map(\.sender)) else { return txs.map { _ in nil } }
        return txs.map { tx in
            let account = accounts.account(tx.sender)
            guard account != nil else { return .unknownSender }
            return driver.mempool.check(tx, chainID: genesis.chainID, account: account, fromClient: false)
        }
    }
}
