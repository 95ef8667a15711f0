import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT

/// State transfer: fetch missing blocks with their commit certificates from peers in ranges,
/// verify each certificate against the genesis validator set and the batch digest, execute and
/// apply them, then tell the replica where it stands.
///
/// Pipelined: up to `NodeLimits.stateTransferRangesInFlight` consecutive ranges are requested
/// (from different donors, round robin) and verified off the actor, in parallel, while the
/// oldest verified range is executed and written on the actor (one SQLite transaction per
/// range). Only the actor touches the store's writer; verification tasks touch no store at all.
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

    /// The transfer loop. Kept free of typed-throws calls and of large locals: everything that
    /// touches the store runs in the synchronous helpers below. (An ASAN build caught a write past
    /// this function's async frame when the store calls — typed `throws(StoreError)` — were made
    /// inline here; see the note in `TransferProgress`.)
    private func runStateTransfer() async {
        var progress = TransferProgress()
        var window: [PendingRange] = []
        var nextFrom = Height.zero
        while !isStopped, let target = transferTarget {
            guard let head = currentHead() else { break }
            if head.height >= target.sequence {
                for r in window { r.task.cancel() }
                window.removeAll()
                finishTransfer(target: target, head: head, progress: &progress)
                continue
            }
            // Keep the window aligned with the head: it must start right above it.
            let start = Height(head.height.rawValue &+ 1)
            if window.first.map({ $0.request.from != start }) ?? true {
                for r in window { r.task.cancel() }
                window.removeAll()
                nextFrom = start
            }
            while window.count < NodeLimits.stateTransferRangesInFlight && nextFrom <= target.sequence {
                let range = startFetch(from: nextFrom, upTo: target.sequence, target: target)
                window.append(range)
                nextFrom = Height(nextFrom.rawValue &+ UInt64(range.request.count))
            }
            let current = window.removeFirst()
            let outcome = await current.task.value
            if let retry = handleFetched(outcome, range: current, head: head, target: target, progress: &progress) {
                window.insert(retry, at: 0)
            }
            if case .nothing = outcome { try? await Task.sleep(for: .milliseconds(100)) }
        }
        for r in window { r.task.cancel() }
        transferTask = nil
    }

    /// The store's head, or `nil` when it cannot be read.
    private func currentHead() -> ChainHead? { try? store.head() }

    /// The target is reached: tell the replica, log the speed, reset the counters.
    private func finishTransfer(target: StateTransferTarget, head: ChainHead, progress: inout TransferProgress) {
        if let block = try? store.block(at: target.sequence), block.hash != target.blockHash {
            logger.critical("state transfer reached a block whose hash differs from the checkpointed one", metadata: [
                "seq": "\(target.sequence.rawValue)", "have": "\(block.hash.hex.prefix(16))",
                "want": "\(target.blockHash.hex.prefix(16))",
            ])
        }
        transferTarget = nil
        let elapsed = ContinuousClock.now - progress.started
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-6)
        logger.info("state transfer complete", metadata: [
            "height": "\(head.height.rawValue)", "blocks": "\(progress.blocks)", "txs": "\(progress.transactions)",
            "elapsed_ms": "\(Int(seconds * 1000))",
            "blocks_per_s": "\(Int(Double(progress.blocks) / seconds))",
            "txs_per_s": "\(Int(Double(progress.transactions) / seconds))",
        ])
        let atGenesis = head.height == .zero
        handle(.stateTransferred(head.height, blockHash: atGenesis ? .zero : head.hash,
                                 timestampMilliseconds: atGenesis ? 0 : head.header.timestamp))
        if !progress.committedHashes.isEmpty { handle(.requestsCommitted(progress.committedHashes)) }
        progress = TransferProgress()
    }

    /// Applies one fetched range (or notes why not). Returns a fetch to put first in the window:
    /// the same range again after a failure, or the rest of it after a short answer.
    private func handleFetched(_ outcome: FetchOutcome, range current: PendingRange, head: ChainHead,
                               target: StateTransferTarget, progress: inout TransferProgress) -> PendingRange? {
        switch outcome {
        case .nothing:
            logger.debug("no blocks from peer", metadata: ["peer": "\(current.donor)"])
            return startFetch(from: current.request.from, upTo: target.sequence, target: target, count: current.request.count)
        case let .invalid(reason):
            logger.warning("peer served an invalid block; asking another", metadata: [
                "peer": "\(current.donor)", "reason": "\(reason)",
            ])
            return startFetch(from: current.request.from, upTo: target.sequence, target: target, count: current.request.count)
        case let .blocks(blocks):
            guard !isStopped, let now = currentHead(), now.height == head.height else { return nil }
            let applied: [Block]
            do { applied = try applyFetched(blocks, on: now.header) } catch {
                logger.error("cannot apply fetched blocks", metadata: ["error": "\(error)"])
                return nil
            }
            progress.blocks += applied.count
            var waiting: [Digest] = []
            for b in applied {
                progress.transactions += b.transactions.count
                events.publish(.blockCommitted(b))
                for tx in b.transactions where mempool.contains(tx.hash) { waiting.append(tx.hash) }
            }
            // Only transactions our mempool (and so the replica's queue) held need telling.
            mempool.remove(waiting)
            progress.committedHashes.append(contentsOf: waiting)
            if let last = applied.last {
                events.publish(.stateTransfer(height: last.height, target: target.sequence))
            }
            logger.debug("applied fetched blocks", metadata: ["peer": "\(current.donor)", "count": "\(applied.count)"])
            // A short answer (the donor's byte limit): fetch the rest of that range first.
            let served = UInt32(clamping: blocks.count)
            guard served < current.request.count else { return nil }
            let gapFrom = Height(current.request.from.rawValue &+ UInt64(served))
            return startFetch(from: gapFrom, upTo: target.sequence, target: target, count: current.request.count - served)
        }
    }

    /// Starts fetching and verifying (off the actor) up to `count` blocks from `from`, never past `upTo`.
    private func startFetch(from: Height, upTo last: SequenceNumber, target: StateTransferTarget,
                            count wanted: UInt32 = UInt32(NodeLimits.stateTransferBlocksPerRequest)) -> PendingRange {
        let missing = last.rawValue >= from.rawValue ? last.rawValue - from.rawValue + 1 : 1
        let count = UInt32(min(UInt64(wanted), UInt64(NodeLimits.stateTransferBlocksPerRequest), missing))
        let donor = pickDonor(target)
        let request = BlockRequest(requestID: nextRequestID, from: from, count: max(count, 1))
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

    /// Executes verified blocks in memory, then writes them in one store transaction.
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
        executions.reserveCapacity(blocks.count)
        for (batch, cert) in blocks {
            let proposer = batch.view.primary(replicaCount: genesis.validatorCount)
            let execution = StateTransition.execute(batch: batch, previous: header, proposer: proposer, accounts: state)
            state.apply(execution)
            header = execution.block.header
            executions.append((execution, cert.encoded()))
        }
        _ = try store.applyAtomically(executions)
        return executions.map(\.0.block)
    }

    /// Checks each fetched block: consecutive heights, batch decodes, certificate for that height and
    /// digest with 2f + 1 distinct valid signatures. Neither transaction signatures nor public keys
    /// are validated again: the batch is decoded with trusted keys and used only if its recomputed
    /// digest is the one 2f + 1 validators certified (at least one honest validator checked both).
    public nonisolated static func verifyFetched(_ response: BlockResponse, scheme: Ed25519ValidatorKeys, chainID: String,
                                          replicaCount: Int) -> Result<[(Batch, CommitCertificate)], StateTransferFailure> {
        var out: [(Batch, CommitCertificate)] = []
        out.reserveCapacity(response.blocks.count)
        for (i, entry) in response.blocks.enumerated() {
            let height = Height(response.from.rawValue &+ UInt64(i))
            let batch: Batch
            let cert: CommitCertificate
            do { batch = try TrustedDecoding.batch(entry.batch) } catch {
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

    /// The blocks a peer asked for, read from `store` as raw bytes (runs off the actor; no
    /// transaction is decoded or re-encoded).
    public nonisolated static func serve(_ request: BlockRequest, store: LedgerStore) -> BlockResponse {
        let count = min(Int(request.count), NodeLimits.stateTransferBlocksPerRequest)
        let raw = (try? store.rawBlocks(from: request.from, count: count, maxBytes: NodeLimits.stateTransferResponseMaxBytes)) ?? []
        return BlockResponse(requestID: request.requestID, from: request.from, blocks: raw.map { ($0.batch, $0.certificate) })
    }
}

/// Counters of one transfer (from its start to reaching the target).
struct TransferProgress {
    var started = ContinuousClock.now
    var blocks = 0
    var transactions = 0
    /// Hashes of fetched transactions our mempool held (the replica must drop them from its queue).
    var committedHashes: [Digest] = []
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
