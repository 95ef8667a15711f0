import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT

/// State transfer: fetch missing blocks with their commit certificates from peers in ranges,
/// authenticate them, execute and apply them, then tell the replica where it stands.
///
/// Authentication (docs/architecture.md §6, State transfer). A range is requested so that it ends at a
/// checkpoint sequence number where it can, and the donor serves with it the stable-checkpoint
/// proof (2f + 1 signed CHECKPOINT(n, block hash)) it stored for the highest checkpoint inside
/// the range. That proof — or, for the range that ends at the target, the target's own hash,
/// whose signed checkpoints were verified before they reached the replica — is the range's
/// `TransferAnchor`. Every block at or below the anchor is authenticated by the hash chain: the
/// range is executed on top of our own head and the computed block hash at the anchor must be
/// the anchored one, so the blocks' own certificates need no signature check (they are still
/// checked for structure and stored, and served over RPC `commit`). Blocks above the anchor (a
/// range cut short by the donor's byte limit, or a donor without a stored proof) have every
/// certificate verified, as before. A range that fails any check is refused: nothing of it is
/// written, the donor is skipped for the rest of the transfer, and the range is fetched again
/// from another peer.
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
            transferRunning.store(true, ordering: .relaxed)
            transferTask = Task { await self.runStateTransfer() }
        }
    }

    /// Whether a state transfer is running. Peer workers then drop COMMITTED-BATCH messages
    /// unverified: the transfer fetches those blocks itself (up to the donors' heads, see
    /// `fetchTail`), and verifying them would cost every transaction's signature and key check.
    public nonisolated var isTransferringState: Bool { transferRunning.load(ordering: .relaxed) }

    /// A response to one of our block requests (ignored unless `peer` is whom we asked).
    public func receive(_ response: BlockResponse, from peer: ReplicaID) {
        guard let pending = pendingFetches[response.requestID], pending.peer == peer else { return }
        pendingFetches[response.requestID] = nil
        pending.continuation.resume(returning: response)
    }

    /// Keeps a stable checkpoint's proof beside the blocks, so that this node can anchor the
    /// ranges it serves to catching-up peers. A failure costs those peers signature checks only.
    func recordStableCheckpoint(_ proof: CheckpointProof) {
        guard proof.sequence > .zero else { return }
        do {
            try store.saveCheckpoint(StoredCheckpoint(
                sequenceNumber: proof.sequence, blockHash: proof.blockHash, proof: proof.encoded()))
        } catch {
            logger.warning("cannot store the stable checkpoint proof", metadata: [
                "seq": "\(proof.sequence.rawValue)", "error": "\(error)",
            ])
        }
    }

    /// The transfer loop. Kept free of typed-throws calls and of large locals: everything that
    /// touches the store runs in the synchronous helpers below. (An ASAN build caught a write past
    /// this function's async frame when the store calls — typed `throws(StoreError)` — were made
    /// inline here; see the note in `TransferProgress`.)
    private func runStateTransfer() async {
        var progress = TransferProgress()
        var window: [PendingRange] = []
        var nextFrom = Height.zero
        var tailFetched = false
        while !isStopped, let target = transferTarget {
            guard let head = currentHead() else { break }
            if head.height >= target.sequence {
                for r in window { r.task.cancel() }
                window.removeAll()
                if !tailFetched {
                    tailFetched = true
                    await fetchTail(target: target, progress: &progress)
                    continue
                }
                tailFetched = false
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
                let range = startFetch(from: nextFrom, upTo: target.sequence, trusted: Self.anchor(of: target), target: target)
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
        transferRunning.store(false, ordering: .relaxed)
    }

    /// Past the target (a stable checkpoint), the donors usually hold up to a checkpoint interval
    /// of blocks more. Fetching them here, each verified by its own commit certificate (nothing
    /// anchors them), saves waiting for the replica's STATUS exchange to bring them 16 at a time.
    /// Stops at the first empty answer, after `NodeLimits.stateTransferTailRangesMax` ranges, or
    /// when a new target arrives.
    private func fetchTail(target: StateTransferTarget, progress: inout TransferProgress) async {
        var ranges = 0
        while !isStopped, ranges < NodeLimits.stateTransferTailRangesMax, transferTarget?.sequence == target.sequence,
              let head = currentHead() {
            ranges += 1
            let from = Height(head.height.rawValue &+ 1)
            let last = SequenceNumber(head.height.rawValue &+ UInt64(NodeLimits.stateTransferBlocksPerRequest))
            let pending = startFetch(from: from, upTo: last, trusted: nil, target: target)
            let outcome = await pending.task.value
            if case .nothing = outcome { return }
            handleFetched(outcome, range: pending, head: head, target: target, progress: &progress)?.task.cancel()
        }
    }

    /// The target's hash as an anchor: its checkpoints' signatures were verified before they
    /// reached the replica (or it is this replica's own stable checkpoint).
    private static func anchor(of target: StateTransferTarget) -> TransferAnchor {
        TransferAnchor(height: target.sequence, blockHash: target.blockHash, source: .target)
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
            "anchored_blocks": "\(progress.anchoredBlocks)", "signatures_checked": "\(progress.signaturesChecked)",
            "dropped_live_messages": "\(droppedDuringTransfer.exchange(0, ordering: .relaxed))",
            "refused_ranges": "\(donors.refusals)",
        ])
        donors.reset()
        let atGenesis = head.height == .zero
        handle(.stateTransferred(head.height, blockHash: atGenesis ? .zero : head.hash,
                                 timestampMilliseconds: atGenesis ? 0 : head.header.timestamp))
        if !progress.committedHashes.isEmpty { handle(.requestsCommitted(progress.committedHashes)) }
        progress = TransferProgress()
    }

    /// Applies one fetched range (or notes why not). Returns a fetch to put first in the window:
    /// the same range again (from another donor) after a failure, or the rest of it after a
    /// short answer.
    private func handleFetched(_ outcome: FetchOutcome, range current: PendingRange, head: ChainHead,
                               target: StateTransferTarget, progress: inout TransferProgress) -> PendingRange? {
        switch outcome {
        case .nothing:
            logger.debug("no blocks from peer", metadata: ["peer": "\(current.donor)"])
            return startFetch(from: current.request.from, upTo: current.upTo, trusted: current.trusted, target: target,
                              count: current.request.count)
        case let .invalid(reason):
            refuse(current, reason: reason)
            return startFetch(from: current.request.from, upTo: current.upTo, trusted: current.trusted, target: target,
                              count: current.request.count)
        case let .blocks(range):
            guard !isStopped, let now = currentHead(), now.height == head.height else { return nil }
            let applied: [Block]
            do {
                switch try applyFetched(range, on: now.header) {
                case let .success(blocks): applied = blocks
                case let .failure(f):
                    refuse(current, reason: f.reason)
                    return startFetch(from: current.request.from, upTo: current.upTo, trusted: current.trusted,
                                      target: target, count: current.request.count)
                }
            } catch {
                logger.error("cannot apply fetched blocks", metadata: ["error": "\(error)"])
                return nil
            }
            progress.blocks += applied.count
            progress.signaturesChecked += range.signaturesChecked
            if let anchor = range.anchor { progress.anchoredBlocks += Int(anchor.height.rawValue &- range.from.rawValue &+ 1) }
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
                events.publish(.stateTransfer(height: last.height, target: max(target.sequence, last.height)))
            }
            logger.debug("applied fetched blocks", metadata: [
                "peer": "\(current.donor)", "count": "\(applied.count)",
                "anchor": "\(range.anchor.map { "\($0.height.rawValue)" } ?? "none")",
            ])
            // A short answer (the donor's byte limit): fetch the rest of that range first.
            let served = UInt32(clamping: range.blocks.count)
            guard served < current.request.count else { return nil }
            let gapFrom = Height(current.request.from.rawValue &+ UInt64(served))
            return startFetch(from: gapFrom, upTo: current.upTo, trusted: current.trusted, target: target,
                              count: current.request.count - served)
        }
    }

    /// Counts and logs a refused range and skips its donor for the rest of the transfer.
    private func refuse(_ range: PendingRange, reason: String) {
        donors.refused(range.donor)
        logger.warning("peer served an invalid block range; asking another", metadata: [
            "peer": "\(range.donor)", "from": "\(range.request.from.rawValue)", "reason": "\(reason)",
            "refused_ranges": "\(donors.refusals)",
        ])
    }

    /// Starts fetching and verifying (off the actor) up to `count` blocks from `from`, never past
    /// `upTo`, from a donor chosen among `target`'s vouchers; `trusted` anchors the range if it
    /// lies inside it.
    private func startFetch(from: Height, upTo last: SequenceNumber, trusted: TransferAnchor?, target: StateTransferTarget,
                            count wanted: UInt32 = UInt32(NodeLimits.stateTransferBlocksPerRequest)) -> PendingRange {
        let count = Self.rangeCount(from: from, upTo: last, wanted: wanted,
                                    checkpointInterval: genesis.consensus.checkpointInterval)
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
                Self.verifyFetched(response, trusted: trusted, scheme: scheme, chainID: chainID, replicaCount: n)
            }.value
            switch verified {
            case let .success(range): return .blocks(range)
            case let .failure(f): return .invalid(f.reason)
            }
        }
        return PendingRange(request: request, donor: donor, upTo: last, trusted: trusted, task: task)
    }

    /// How many blocks to ask for from `from`: at most `wanted` and the per-request limit, never
    /// past `last`, and, unless the range reaches `last`, cut so that it ends at a checkpoint
    /// sequence number (where the donor has a proof that anchors it) when one lies inside it.
    nonisolated static func rangeCount(from: Height, upTo last: SequenceNumber, wanted: UInt32,
                                       checkpointInterval: UInt64) -> UInt32 {
        guard last.rawValue >= from.rawValue else { return 1 }
        let missing = last.rawValue - from.rawValue + 1
        var count = min(UInt64(wanted), UInt64(NodeLimits.stateTransferBlocksPerRequest), missing)
        count = max(count, 1)
        let end = from.rawValue + count - 1  // <= last
        if end < last.rawValue, checkpointInterval > 0 {
            let aligned = end / checkpointInterval * checkpointInterval
            if aligned >= from.rawValue { count = aligned - from.rawValue + 1 }
        }
        return UInt32(count)
    }

    /// Executes a verified range in memory on top of `previous` (checking its anchor), then
    /// writes it, with the donor's checkpoint proof, in one store transaction. A refusal is a
    /// `.failure` (nothing written); a store error is thrown.
    private func applyFetched(_ range: VerifiedRange, on previous: BlockHeader) throws(StoreError) -> Result<[Block], StateTransferFailure> {
        var keys = Set<PublicKey>()
        for (batch, _) in range.blocks {
            for tx in batch.transactions {
                keys.insert(tx.sender)
                keys.insert(tx.recipient.publicKey)
            }
        }
        let state = try store.accounts(for: keys)
        let executions: [(BlockExecution, certificate: [UInt8]?)]
        switch Self.execute(range, on: previous, accounts: state, replicaCount: genesis.validatorCount) {
        case let .success(e): executions = e
        case let .failure(f): return .failure(f)
        }
        let checkpoint = range.proof.map {
            StoredCheckpoint(sequenceNumber: $0.sequence, blockHash: $0.blockHash, proof: $0.encoded())
        }
        try store.applyTransferredRange(executions, checkpoint: checkpoint)
        return .success(executions.map(\.0.block))
    }

    /// Executes the blocks of `range` in order on top of `previous` with `accounts` (which must
    /// hold every account the range touches) and checks the anchor: the computed hash at its
    /// height must be the anchored hash, which authenticates every block from `range.from` up to
    /// it. Pure: nothing is read or written.
    public nonisolated static func execute(_ range: VerifiedRange, on previous: BlockHeader, accounts: AccountState,
                                           replicaCount: Int) -> Result<[(BlockExecution, certificate: [UInt8]?)], StateTransferFailure> {
        guard range.from.rawValue == previous.height.rawValue &+ 1 else {
            return .failure(StateTransferFailure(
                reason: "range starts at \(range.from.rawValue), but the head is at \(previous.height.rawValue)"))
        }
        var state = accounts
        var header = previous
        var out: [(BlockExecution, certificate: [UInt8]?)] = []
        out.reserveCapacity(range.blocks.count)
        for (batch, certificate) in range.blocks {
            let proposer = batch.view.primary(replicaCount: replicaCount)
            let execution = StateTransition.execute(batch: batch, previous: header, proposer: proposer, accounts: state)
            state.apply(execution)
            header = execution.block.header
            if let anchor = range.anchor, anchor.height == header.height, anchor.blockHash != header.hash {
                return .failure(StateTransferFailure(reason:
                    "blocks \(range.from.rawValue)...\(anchor.height.rawValue) do not hash to the checkpointed block hash "
                    + "at \(anchor.height.rawValue) (forged, reordered or missing batch)"))
            }
            out.append((execution, certificate))
        }
        return .success(out)
    }

    /// Checks a fetched range as far as it can without executing it (see `VerifiedRange`):
    /// consecutive heights from `response.from`, batches decode, the anchor — `trusted` (the
    /// target) if its height lies inside the range, else the donor's stable-checkpoint proof,
    /// which must lie inside the range and carry 2f + 1 distinct valid signatures — and every
    /// block's certificate: for its height and batch digest, structurally complete, and with
    /// 2f + 1 distinct valid signatures for blocks above the anchor. Neither transaction
    /// signatures nor public keys are validated again: the batch is decoded with trusted keys
    /// and used only if the hash chain or its certificate ties it to what 2f + 1 validators
    /// agreed (at least one honest validator checked both). Never traps on the peer's bytes.
    public nonisolated static func verifyFetched(_ response: BlockResponse, trusted: TransferAnchor?,
                                                 scheme: Ed25519ValidatorKeys, chainID: String,
                                                 replicaCount: Int) -> Result<VerifiedRange, StateTransferFailure> {
        let count = UInt64(response.blocks.count)
        guard count > 0 else { return .failure(StateTransferFailure(reason: "the response holds no blocks")) }
        let (lastRaw, overflow) = response.from.rawValue.addingReportingOverflow(count - 1)
        guard !overflow, response.from.rawValue > 0 else {
            return .failure(StateTransferFailure(reason: "the response's heights start at \(response.from.rawValue) and do not fit"))
        }
        let first = response.from, last = Height(lastRaw)
        let quorum = 2 * ((replicaCount - 1) / 3) + 1

        var anchor: TransferAnchor?
        var proof: CheckpointProof?
        var signatures = 0
        if let trusted, trusted.height >= first, trusted.height <= last {
            anchor = trusted
        } else if let bytes = response.checkpoint {
            let p: CheckpointProof
            do { p = try CheckpointProof.decode(bytes, replicaCount: replicaCount) } catch {
                return .failure(StateTransferFailure(reason: "checkpoint proof does not decode: \(error)"))
            }
            guard p.sequence >= first, p.sequence <= last else {
                return .failure(StateTransferFailure(
                    reason: "checkpoint proof for \(p.sequence) lies outside the served heights \(first)...\(last)"))
            }
            do { try p.verify(scheme: scheme, chainID: chainID, quorum: quorum) } catch {
                return .failure(StateTransferFailure(reason: "checkpoint proof for \(p.sequence): \(error)"))
            }
            signatures += p.checkpoints.count
            anchor = TransferAnchor(height: p.sequence, blockHash: p.blockHash, source: .checkpointProof)
            proof = p
        }

        var out: [(batch: Batch, certificate: [UInt8])] = []
        out.reserveCapacity(response.blocks.count)
        for (i, entry) in response.blocks.enumerated() {
            let height = Height(first.rawValue &+ UInt64(i))
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
            if let anchor, height <= anchor.height {
                // Authenticated by the hash chain once executed; the certificate is kept as served.
                do { try cert.validateStructure(replicaCount: replicaCount) } catch {
                    return .failure(StateTransferFailure(reason: "certificate at \(height): \(error)"))
                }
            } else {
                do { try cert.verify(scheme: scheme, chainID: chainID) } catch {
                    return .failure(StateTransferFailure(reason: "certificate at \(height): \(error)"))
                }
                signatures += cert.commits.count
            }
            out.append((batch, entry.certificate))
        }
        return .success(VerifiedRange(from: first, blocks: out, anchor: anchor, proof: proof, signaturesChecked: signatures))
    }

    /// The next donor (see `TransferDonors`).
    private func pickDonor(_ target: StateTransferTarget) -> ReplicaID {
        let connected = Set(network.metrics.connectedOutbound.map { ReplicaID($0.index) })
        let vouching = target.checkpoints.map(\.signer).filter { $0 != replicaID }
        let everyone = (0..<genesis.validatorCount).map(ReplicaID.init).filter { $0 != replicaID }
        return donors.next(vouching: vouching, connected: connected, everyone: everyone) ?? replicaID
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
    /// transaction is decoded or re-encoded), with the stored stable-checkpoint proof for the
    /// highest checkpoint among them, if there is one and it names the served block's hash.
    public nonisolated static func serve(_ request: BlockRequest, store: LedgerStore) -> BlockResponse {
        let count = min(Int(request.count), NodeLimits.stateTransferBlocksPerRequest)
        let raw = (try? store.rawBlocks(from: request.from, count: count, maxBytes: NodeLimits.stateTransferResponseMaxBytes)) ?? []
        var proof: [UInt8]?
        if let top = raw.last?.header.height,
           let checkpoint = try? store.latestCheckpoint(from: request.from, through: top) {
            let index = Int(checkpoint.sequenceNumber.rawValue - request.from.rawValue)
            if raw.indices.contains(index), raw[index].header.hash == checkpoint.blockHash { proof = checkpoint.proof }
        }
        return BlockResponse(requestID: request.requestID, from: request.from,
                             blocks: raw.map { ($0.batch, $0.certificate) }, checkpoint: proof)
    }
}

/// Counters of one transfer (from its start to reaching the target).
struct TransferProgress {
    var started = ContinuousClock.now
    var blocks = 0
    var transactions = 0
    /// Blocks authenticated by the hash chain from an anchor instead of their own certificate.
    var anchoredBlocks = 0
    /// Ed25519 signatures verified (checkpoint proofs and certificates of blocks above an anchor).
    var signaturesChecked = 0
    /// Hashes of fetched transactions our mempool held (the replica must drop them from its queue).
    var committedHashes: [Digest] = []
}

/// A block range being fetched and verified.
struct PendingRange {
    var request: BlockRequest
    var donor: ReplicaID
    /// The highest height this range (and its retries) may ask for.
    var upTo: SequenceNumber
    /// The anchor the range was asked under (the target's hash), or `nil` past the target.
    var trusted: TransferAnchor?
    var task: Task<FetchOutcome, Never>
}

/// What fetching one range produced.
enum FetchOutcome: Sendable {
    /// No answer (timeout, peer unreachable, or no blocks there).
    case nothing
    /// The peer's blocks failed verification.
    case invalid(String)
    /// Verified blocks, in height order from the requested start (the anchor is checked when executed).
    case blocks(VerifiedRange)
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
