import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT

/// State transfer: fetch missing blocks with their commit certificates from peers in ranges,
/// verify each certificate against the genesis validator set and the batch digest, execute and
/// apply them, then tell the replica where it stands.
extension ConsensusDriver {
    /// Starts (or extends) a transfer to `target`; duplicates while one runs are ignored.
    func beginStateTransfer(_ target: StateTransferTarget) {
        if let current = transferTarget, current.sequence >= target.sequence { return }
        transferTarget = target
        logger.info("state transfer requested", metadata: [
            "seq": "\(target.sequence.rawValue)", "height": "\((try? store.head().height.rawValue) ?? 0)",
        ])
        if transferTask == nil {
            transferTask = Task { await self.runStateTransfer() }
        }
    }

    /// A response to one of our block requests (ignored unless `peer` is whom we asked).
    public func receive(_ response: BlockResponse, from peer: ReplicaID) {
        guard let pending = pendingFetches[response.requestID], pending.peer == peer else { return }
        pendingFetches[response.requestID] = nil
        pending.continuation.resume(returning: response)
    }

    private func runStateTransfer() async {
        var fetchedHashes: [Digest] = []
        var started = ContinuousClock.now
        var blocksFetched = 0
        while !isStopped, let target = transferTarget {
            guard let head = try? store.head() else { break }
            if head.height >= target.sequence {
                if let block = try? store.block(at: target.sequence), block.hash != target.blockHash {
                    logger.critical("state transfer reached a block whose hash differs from the checkpointed one", metadata: [
                        "seq": "\(target.sequence.rawValue)", "have": "\(block.hash.hex.prefix(16))",
                        "want": "\(target.blockHash.hex.prefix(16))",
                    ])
                }
                transferTarget = nil
                let elapsed = ContinuousClock.now - started
                logger.info("state transfer complete", metadata: [
                    "height": "\(head.height.rawValue)", "blocks": "\(blocksFetched)", "elapsed": "\(elapsed)",
                ])
                mempool.remove(fetchedHashes)
                let atGenesis = head.height == .zero
                handle(.stateTransferred(head.height, blockHash: atGenesis ? .zero : head.hash,
                                         timestampMilliseconds: atGenesis ? 0 : head.header.timestamp))
                if !fetchedHashes.isEmpty { handle(.requestsCommitted(fetchedHashes)) }
                fetchedHashes = []
                started = ContinuousClock.now
                blocksFetched = 0
                continue
            }
            // One range at a time: fetch, verify off the actor, apply.
            let from = Height(head.height.rawValue + 1)
            let current = startFetch(from: from, target: target)
            switch await current.task.value {
            case .nothing:
                logger.debug("no blocks from peer", metadata: ["peer": "\(current.donor)"])
                try? await Task.sleep(for: .milliseconds(100))
            case let .invalid(reason):
                logger.warning("peer served an invalid block; asking another", metadata: [
                    "peer": "\(current.donor)", "reason": "\(reason)",
                ])
            case let .blocks(blocks):
                guard !isStopped, let now = try? store.head(), now.height == head.height else { continue }
                do {
                    let applied = try applyFetched(blocks, on: now.header)
                    blocksFetched += applied.count
                    for b in applied { events.publish(.blockCommitted(b)) }
                    if let last = applied.last {
                        events.publish(.stateTransfer(height: last.height, target: target.sequence))
                    }
                    for b in applied { fetchedHashes.append(contentsOf: b.transactions.map(\.hash)) }
                    logger.debug("applied fetched blocks", metadata: ["peer": "\(current.donor)", "count": "\(applied.count)"])
                } catch {
                    logger.error("cannot apply fetched blocks", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
        }
        transferTask = nil
    }

    /// Starts fetching and verifying up to `NodeLimits.stateTransferBlocksPerRequest` blocks from `from`.
    private func startFetch(from: Height, target: StateTransferTarget) -> PendingRange {
        let missing = target.sequence.rawValue &- from.rawValue &+ 1
        let count = UInt32(min(UInt64(NodeLimits.stateTransferBlocksPerRequest), max(1, missing)))
        let donor = pickDonor(target)
        let request = BlockRequest(requestID: nextRequestID, from: from, count: count)
        nextRequestID &+= 1
        let n = genesis.validatorCount
        let chainID = genesis.chainID
        let scheme = self.scheme
        let task = Task { () -> FetchOutcome in
            guard let response = await self.fetch(request, from: donor), !response.blocks.isEmpty else { return .nothing }
            guard response.from == request.from, response.blocks.count <= Int(request.count) else {
                return .invalid("response covers other heights than requested")
            }
            let verified = await Task.detached {
                Self.verifyFetched(response, scheme: scheme, chainID: chainID, replicaCount: n)
            }.value
            switch verified {
            case let .success(blocks): return .blocks(blocks)
            case let .failure(f): return .invalid(f.reason)
            }
        }
        return PendingRange(request: request, donor: donor, task: task)
    }

    /// Executes verified blocks in memory, then writes them with the store's batched apply.
    private func applyFetched(_ blocks: [(Batch, CommitCertificate)], on previous: BlockHeader) throws(StoreError) -> [Block] {
        var keys = Set<PublicKey>()
        for (batch, _) in blocks {
            for tx in batch.transactions {
                keys.insert(tx.sender)
                keys.insert(tx.recipient.publicKey)
            }
        }
        var state = try store.accounts(for: keys)
        var header = previous
        var executions: [(BlockExecution, certificate: [UInt8]?)] = []
        for (batch, cert) in blocks {
            let proposer = batch.view.primary(replicaCount: genesis.validatorCount)
            let execution = StateTransition.execute(batch: batch, previous: header, proposer: proposer, accounts: state)
            state.apply(execution)
            header = execution.block.header
            executions.append((execution, cert.encoded()))
        }
        _ = try store.apply(executions)
        return executions.map(\.0.block)
    }

    /// Checks each fetched block: consecutive heights, batch decodes, certificate for that height and
    /// digest with 2f + 1 distinct valid signatures. Transaction signatures are not re-verified.
    public nonisolated static func verifyFetched(_ response: BlockResponse, scheme: Ed25519ValidatorKeys, chainID: String,
                                          replicaCount: Int) -> Result<[(Batch, CommitCertificate)], StateTransferFailure> {
        var out: [(Batch, CommitCertificate)] = []
        var keyCache = PublicKeyCache()
        for (i, entry) in response.blocks.enumerated() {
            let height = Height(response.from.rawValue &+ UInt64(i))
            let batch: Batch
            let cert: CommitCertificate
            do { batch = try Batch.decode(entry.batch, keyCache: &keyCache) } catch {
                return .failure(StateTransferFailure(reason: "batch at \(height) does not decode: \(error)"))
            }
            do { cert = try CommitCertificate.decode(entry.certificate, replicaCount: replicaCount) } catch {
                return .failure(StateTransferFailure(reason: "certificate at \(height) does not decode: \(error)"))
            }
            guard cert.sequence == height else {
                return .failure(StateTransferFailure(reason: "certificate is for \(cert.sequence), block is \(height)"))
            }
            guard cert.digest == batch.digest else {
                return .failure(StateTransferFailure(reason: "certificate digest differs from the batch at \(height)"))
            }
            do { try cert.verify(scheme: scheme, chainID: chainID) } catch {
                return .failure(StateTransferFailure(reason: "certificate at \(height): \(error)"))
            }
            out.append((batch, cert))
        }
        return .success(out)
    }

    /// Validators that vouched for the target first (they have the blocks), then the others, round robin.
    private func pickDonor(_ target: StateTransferTarget) -> ReplicaID {
        var candidates = target.checkpoints.map(\.signer).filter { $0 != replicaID }
        let connected = network.metrics.connectedOutbound
        candidates = candidates.filter { connected.contains(PeerID($0.index)) } + candidates
        if candidates.isEmpty {
            candidates = (0..<genesis.validatorCount).map(ReplicaID.init).filter { $0 != replicaID }
        }
        nextDonor &+= 1
        return candidates[nextDonor % candidates.count]
    }

    private func fetch(_ request: BlockRequest, from peer: ReplicaID) async -> BlockResponse? {
        let id = request.requestID
        let sent = network.send(Envelope.wrap(.blockRequest, request.encoded()), to: PeerID(peer.index))
        guard sent else { return nil }
        let timeout = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(NodeLimits.stateTransferTimeoutMs))
            await self?.expireFetch(id)
        }
        defer { timeout.cancel() }
        return await withCheckedContinuation { (c: CheckedContinuation<BlockResponse?, Never>) in
            pendingFetches[id] = PendingFetch(peer: peer, continuation: c)
        }
    }

    private func expireFetch(_ id: UInt64) {
        pendingFetches.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }

    /// The blocks a peer asked for, read from `store` (runs off the actor).
    public nonisolated static func serve(_ request: BlockRequest, store: LedgerStore) -> BlockResponse {
        var blocks: [(batch: [UInt8], certificate: [UInt8])] = []
        var bytes = 0
        let count = min(Int(request.count), NodeLimits.stateTransferBlocksPerRequest)
        for i in 0..<count {
            let height = Height(request.from.rawValue &+ UInt64(i))
            guard let block = try? store.block(at: height), let cert = try? store.certificate(at: height) else { break }
            let h = block.header
            let batch = h.batchDigest == Batch.null.digest
                ? Batch.null : Batch(view: h.view, timestamp: h.timestamp, transactions: block.transactions)
            guard batch.digest == h.batchDigest else { break }
            let encoded = batch.encoded()
            bytes += encoded.count + cert.count + 8
            if bytes > NodeLimits.stateTransferResponseMaxBytes && !blocks.isEmpty { break }
            blocks.append((encoded, cert))
        }
        return BlockResponse(requestID: request.requestID, from: request.from, blocks: blocks)
    }
}

/// A block range being fetched and verified.
struct PendingRange {
    var request: BlockRequest
    var donor: ReplicaID
    var task: Task<FetchOutcome, Never>
}

/// What fetching one range produced.
enum FetchOutcome: Sendable {
    /// No answer (timeout, peer unreachable, or no blocks there).
    case nothing
    /// The peer's blocks failed verification.
    case invalid(String)
    /// Verified blocks, in height order from the requested start.
    case blocks([(Batch, CommitCertificate)])
}

/// A continuation waiting for a peer's block response.
struct PendingFetch {
    var peer: ReplicaID
    var continuation: CheckedContinuation<BlockResponse?, Never>
}

/// Why a fetched range was refused.
public struct StateTransferFailure: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var reason: String
    public var description: String { reason }
}
