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
/// proof (a quorum of signed CHECKPOINT(n, block hash)) it stored for the highest checkpoint inside
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
        if let current = transfer.target, current.sequence >= target.sequence, current.isAnchored || !target.isAnchored { return }
        transfer.target = target
        // A full node's probe ("anything above my head?") runs every second; only real transfers are worth info.
        logger.log(level: target.isAnchored ? .info : .debug, "state transfer requested", metadata: [
            "seq": "\(target.sequence.rawValue)", "height": "\((try? store.head().height.rawValue) ?? 0)",
        ])
        if transfer.task == nil {
            transferRunning.store(true, ordering: .relaxed)
            transfer.task = Task { await self.runStateTransfer() }
        }
    }

    /// Whether a state transfer is running. Peer workers then drop COMMITTED-BATCH messages
    /// unverified: the transfer fetches those blocks itself (up to the donors' heads, see
    /// `fetchTail`), and verifying them would cost every transaction's signature and key check.
    public nonisolated var isTransferringState: Bool { transferRunning.load(ordering: .relaxed) }

    /// A response to one of our block requests (ignored unless `peer` is whom we asked).
    public func receive(_ response: BlockResponse, from peer: ReplicaID) {
        guard let pending = transfer.pendingFetches[response.requestID], pending.peer == peer else { return }
        transfer.pendingFetches[response.requestID] = nil
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
        var tailFetched = false
        while !isStopped, let target = transfer.target {
            guard let head = currentHead() else { break }
            if !target.isAnchored {
                // "Whatever the peers hold above the head" (a full node): each block by its own certificate.
                await fetchTail(target: target, progress: &progress)
                if transfer.target == target, let now = currentHead() { finishTransfer(target: target, head: now, progress: &progress) }
                continue
            }
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
        transfer.task = nil
        transferRunning.store(false, ordering: .relaxed)
    }

    /// Past the target (a stable checkpoint), the donors usually hold up to a checkpoint interval
    /// of blocks more. Fetching them here, each verified by its own commit certificate (nothing
    /// anchors them), saves waiting for the replica's STATUS exchange to bring them 16 at a time.
    /// Stops at the first empty answer, after `NodeLimits.stateTransferTailRangesMax` ranges, or
    /// when a new target arrives.
    private func fetchTail(target: StateTransferTarget, progress: inout TransferProgress) async {
        var ranges = 0
        while !isStopped, ranges < NodeLimits.stateTransferTailRangesMax, transfer.target?.sequence == target.sequence,
              let head = currentHead() {
            ranges += 1
            let from = Height(head.height.rawValue &+ 1)
            var last = SequenceNumber(head.height.rawValue &+ UInt64(NodeLimits.stateTransferBlocksPerRequest))
            // A replica orders nothing past its epoch's last block: the next epoch's replica fetches what lies beyond.
            if seat.role == .validator, let end = knownEpochEnd {
                if head.height >= end { return }
                last = min(last, end)
            }
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
        if target.isAnchored, let block = try? store.block(at: target.sequence), block.hash != target.blockHash {
            logger.critical("state transfer reached a block whose hash differs from the checkpointed one", metadata: [
                "seq": "\(target.sequence.rawValue)", "have": "\(block.hash.hex.prefix(16))",
                "want": "\(target.blockHash.hex.prefix(16))",
            ])
        }
        transfer.target = nil
        let elapsed = ContinuousClock.now - progress.started
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-6)
        logger.log(level: target.isAnchored || progress.blocks > 0 ? .info : .debug, "state transfer complete", metadata: [
            "height": "\(head.height.rawValue)", "blocks": "\(progress.blocks)", "txs": "\(progress.transactions)",
            "elapsed_ms": "\(Int(seconds * 1000))",
            "blocks_per_s": "\(Int(Double(progress.blocks) / seconds))",
            "txs_per_s": "\(Int(Double(progress.transactions) / seconds))",
            "anchored_blocks": "\(progress.anchoredBlocks)", "signatures_checked": "\(progress.signaturesChecked)",
            "dropped_live_messages": "\(droppedDuringTransfer.exchange(0, ordering: .relaxed))",
            "refused_ranges": "\(transfer.donors.refusals)",
        ])
        let refusedRanges = transfer.donors.refusals
        transfer.donors.reset()
        crossCheckTransferredCertificates(progress.certificates)
        // The committed requests first: a primary proposes its pending requests as soon as the transfer is over,
        // and would put these in a new block a second time (seen: 43 transfers in block 460 after 446-450).
        if !progress.committedHashes.isEmpty { handle(.requestsCommitted(progress.committedHashes)) }
        // Before `stateTransferred`: a transfer that brought the block accepting a change ends the epoch.
        if let ends = epochEndToTell() { handle(ends) }
        let atGenesis = head.height == .zero
        handle(.stateTransferred(head.height, blockHash: atGenesis ? .zero : head.hash,
                                 timestampMilliseconds: atGenesis ? 0 : head.header.timestamp))
        noteCatchUpTransfer(blocks: progress.blocks, refusedRanges: refusedRanges)
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
        case let .invalid(.epochNotHeld(_, epoch)) where epoch == membership.epoch &+ 1 && membership.pending == nil:
            // Fetched before an earlier range brought the change that names the epoch: not the donor's fault. Only the
            // next epoch can be: a range is at most a window long and an epoch at least a window and a block, so a
            // range crosses one boundary at most; any other unknown epoch is the donor's invention and refused below.
            logger.debug("fetched range crosses a validator-set change not applied yet; fetching it again",
                         metadata: ["peer": "\(current.donor)", "from": "\(current.request.from.rawValue)"])
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
                    refuse(current, reason: f)
                    return startFetch(from: current.request.from, upTo: current.upTo, trusted: current.trusted,
                                      target: target, count: current.request.count)
                }
            } catch {
                logger.error("cannot apply fetched blocks", metadata: ["error": "\(error)"])
                return nil
            }
            progress.blocks += applied.count
            progress.signaturesChecked += range.signaturesChecked
            keepCertificatesForCrossCheck(range, head: head, progress: &progress)
            if let anchor = range.anchor { progress.anchoredBlocks += Int(anchor.height.rawValue &- range.from.rawValue &+ 1) }
            var waiting: [Digest] = []
            for b in applied {
                progress.transactions += b.transactions.count
                events.publish(.blockCommitted(b))
                for tx in b.transactions where mempool.contains(tx.hash) { waiting.append(tx.hash) }
                for change in b.changes where changePool.contains(change.hash) { waiting.append(change.hash) }
                changesCommitted(b)
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

    /// Keeps the certificates of `range`'s blocks at heights the replica may hold log entries for (a window above
    /// the head the transfer started from): a validator compares them with the votes it received itself.
    private func keepCertificatesForCrossCheck(_ range: VerifiedRange, head: ChainHead, progress: inout TransferProgress) {
        guard role == .validator else { return }
        let start = progress.startHeight ?? head.height
        progress.startHeight = start
        let (top, overflow) = start.rawValue.addingReportingOverflow(genesis.consensus.window)
        for (i, block) in range.blocks.enumerated() {
            let height = range.from.rawValue &+ UInt64(i)
            guard overflow || height <= top else { break }
            progress.certificates.append(block.certificate)
        }
    }

    /// Hands the replica the kept certificates, each verified (an anchored block's certificate was not: its hash
    /// chain vouched for it), before `stateTransferred` prunes the log entries they are compared with. A
    /// certificate that does not decode or verify is skipped: the block itself is already authenticated.
    private func crossCheckTransferredCertificates(_ certificates: [[UInt8]]) {
        guard !certificates.isEmpty else { return }
        var verified: [Verified<CommitCertificate>] = []
        for bytes in certificates {
            // Only this replica's epoch's certificates concern it (its log holds nothing of another).
            let epoch = seat.epoch
            guard let scheme = seat.keys.scheme(epoch: epoch),
                  let c = try? CommitCertificate.decode(bytes, replicaCount: scheme.replicaCount),
                  let v = try? c.verified(scheme: scheme, context: SigningContext(chainID: genesis.chainID, epoch: epoch))
            else { continue }
            verified.append(v)
        }
        if !verified.isEmpty { handle(.transferredCertificates(verified)) }
    }

    /// Counts and logs a refused range and skips its donor for the rest of the transfer.
    private func refuse(_ range: PendingRange, reason: StateTransferFailure) {
        transfer.donors.refused(range.donor)
        logger.warning("peer served an invalid block range; asking another", metadata: [
            "peer": "\(range.donor)", "from": "\(range.request.from.rawValue)", "reason": "\(reason)",
            "refused_ranges": "\(transfer.donors.refusals)",
        ])
    }

    /// Starts fetching and verifying (off the actor) up to `count` blocks from `from`, never past
    /// `upTo`, from a donor chosen among `target`'s vouchers; `trusted` anchors the range if it
    /// lies inside it.
    private func startFetch(from: Height, upTo last: SequenceNumber, trusted: TransferAnchor?, target: StateTransferTarget,
                            count wanted: UInt32 = UInt32(NodeLimits.stateTransferBlocksPerRequest)) -> PendingRange {
        // At most a window of blocks: a range holding the block that accepts a change then ends before the change's
        // boundary (at least a window later), so the keys of every epoch a range needs are known when it is fetched
        // after the ranges before it were applied.
        let window = UInt32(clamping: max(1, genesis.consensus.window))
        let count = RangeVerifier.rangeCount(from: from, upTo: last, wanted: min(wanted, window),
                                    checkpointInterval: genesis.consensus.checkpointInterval)
        let donor = pickDonor(target)
        let request = BlockRequest(requestID: transfer.nextRequestID, from: from, count: count)
        transfer.nextRequestID &+= 1
        let chainID = genesis.chainID
        let keys = transferKeys
        let task = Task { () -> FetchOutcome in
            guard let response = await self.fetch(request, from: donor), !response.blocks.isEmpty else { return .nothing }
            guard response.from == request.from, response.blocks.count <= Int(request.count) else {
                return .invalid(.otherHeights)
            }
            let verified = await Task.detached {
                RangeVerifier.verify(response, trusted: trusted, keys: keys, chainID: chainID)
            }.value
            switch verified {
            case let .success(range): return .blocks(range)
            case let .failure(f): return .invalid(f)
            }
        }
        return PendingRange(request: request, donor: donor, upTo: last, trusted: trusted, task: task)
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
        switch RangeVerifier.execute(range, on: previous, accounts: state, membership: membership, rules: changeRules) {
        case let .success(e): executions = e
        case let .failure(f): return .failure(f)
        }
        let checkpoint = range.proof.map {
            StoredCheckpoint(sequenceNumber: $0.sequence, blockHash: $0.blockHash, proof: $0.encoded())
        }
        try store.applyTransferredRange(executions, checkpoint: checkpoint)
        if let last = executions.last { membership = last.0.membership }
        return .success(executions.map(\.0.block))
    }

    /// The next donor (see `TransferDonors`).
    private func pickDonor(_ target: StateTransferTarget) -> ReplicaID {
        let connected = Set(network.metrics.connectedOutbound.map { ReplicaID($0.index) })
        let vouching = target.checkpoints.map(\.signer).filter { $0 != replicaID }
        let everyone = (0..<seat.validators.count).map(ReplicaID.init).filter { $0 != replicaID }
        return transfer.donors.next(vouching: vouching, connected: connected, everyone: everyone) ?? replicaID
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
            transfer.pendingFetches[id] = PendingFetch(peer: peer, continuation: c)
        }
    }

    private func expireFetch(_ id: UInt64) {
        transfer.pendingFetches.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }
}
