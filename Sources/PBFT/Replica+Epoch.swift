import LedgerCore
import LedgerCrypto

/// The end of an epoch (decision 0038): a validator-set change committed in block `s` ends the
/// epoch at `a = EpochBoundary.lastSequence(changeCommittedAt: s, …)`, the first checkpoint at or
/// after `s + W`. Slots up to `a` are ordered by this epoch's set; above `a` this replica
/// proposes, prepares and commits nothing (`claim` refuses the slot, the normal case and
/// view changes refuse messages naming one). Once checkpoint `a` is stable it emits
/// `Action.epochComplete` once, and the driver starts the next epoch's replica at `a`.
///
/// **Why `Event.epochEnds` right after `.executed(s)` is never too late.** A replica votes only
/// in its window `(h, h + W]`, and its low watermark `h` is a stable checkpoint at or below what
/// it committed. The driver executes each `.commit` and reports `.executed` before it feeds any
/// other event, so until this replica executes `s` it has committed and executed at most `s − 1`
/// and `h ≤ s − 1`: every vote it signed lies at or below `s − 1 + W < a`. The `.executed(s)`
/// itself can make `s` stable at most (when `s` is a checkpoint), so votes up to `s + W ≤ a`.
/// `epochEnds` arrives next, and from then on the bound is `a` itself. A replica that reaches `s`
/// by state transfer learns `a` before the transfer's `stateTransferred`, which is what moves its
/// watermark past `s`. The invariant `epoch.noVoteAbove` checks the result after every event.
///
/// **Pending requests.** Once every slot up to `a` is taken, requests still pending wait for the
/// next epoch: they no longer make a backup suspect the primary (no view-change, pace or relay
/// timer for them), and the driver moves them to the next epoch's replica
/// (`Replica.pendingRequests`).
extension Replica {
    /// The epoch's last sequence number, once known.
    public var epochLastSequence: SequenceNumber? { state.epoch.lastSequence }

    /// `true` once checkpoint `epochLastSequence` is stable and `Action.epochComplete` was emitted.
    public var isEpochComplete: Bool { state.epoch.isComplete }

    /// `true` if `seq` lies above the epoch's last sequence number.
    func isBeyondEpoch(_ seq: SequenceNumber) -> Bool {
        guard let a = state.epoch.lastSequence else { return false }
        return seq > a
    }

    /// `true` when every slot up to the epoch's last sequence number is committed or holds a
    /// PRE-PREPARE of the current view: requests still pending can only be ordered in the next epoch.
    var epochIsFull: Bool {
        guard let a = state.epoch.lastSequence else { return false }
        if state.lastCommitted >= a { return true }
        if isPrimary && !state.isChangingView { return state.nextSequence >= a }
        return state.entries[a].map { $0.view == state.view && $0.prePrepare != nil } ?? false
    }

    /// The driver executed the block holding a validator-set change: the epoch ends at `a`.
    mutating func epochEnds(at a: SequenceNumber, _ ctx: inout Context<B>) {
        if let known = state.epoch.lastSequence {
            if known != a { reject("epoch end", from: nil, "told the epoch ends at \(a); it ends at \(known)", &ctx) }
            return
        }
        guard a > configuration.epochStart.sequence, a.rawValue % configuration.checkpointInterval == 0 else {
            reject("epoch end", from: nil, "\(a) is not a checkpoint above the epoch's start \(configuration.epochStart.sequence)", &ctx)
            return
        }
        state.epoch.lastSequence = a
        ctx.emit(.note(.epochEnds(lastSequence: a)))
        // Only others' messages can sit above `a` (we signed nothing there): they never count.
        state.entries = state.entries.filter { $0.key <= a }
        state.checkpointVotes = state.checkpointVotes.filter { $0.key <= a }
        if let p = state.pendingStableProof, p.sequence > a { state.pendingStableProof = nil }
        checkEpochComplete(&ctx)
    }

    /// Emits `Action.epochComplete` once checkpoint `a` is stable and block `a` executed here (a
    /// restart may find `a` stable in its log before the state is back), and stops what would
    /// blame the primary for requests this epoch cannot order.
    mutating func checkEpochComplete(_ ctx: inout Context<B>) {
        guard !state.epoch.isComplete, let a = state.epoch.lastSequence, state.stableProof.sequence == a,
              state.lastExecuted >= a else { return }
        state.epoch.isComplete = true
        if state.timers.viewChangeTimerRunning { state.timers.viewChangeTimerRunning = false; ctx.emit(.cancelTimer(.viewChange)) }
        if state.timers.batchTimerRunning { state.timers.batchTimerRunning = false; ctx.emit(.cancelTimer(.batch)) }
        endViewPace(&ctx)
        endViewRelay(&ctx)
        ctx.emit(.epochComplete(EpochCompletion(epoch: configuration.epoch, proof: state.stableProof)))
    }

    /// Drops a message naming a slot above the epoch's last sequence number, with the reason;
    /// `true` if it was dropped.
    mutating func refusedBeyondEpoch(_ kind: String, _ seq: SequenceNumber, from: ReplicaID?, _ ctx: inout Context<B>) -> Bool {
        guard let a = state.epoch.lastSequence, seq > a else { return false }
        reject(kind, from: from, "\(seq) is above the epoch's last sequence number \(a)", &ctx)
        return true
    }
}

extension Replica {
    /// The requests waiting to be ordered here, oldest first (at most `maxPendingRequests`):
    /// what the driver moves into the next epoch's replica after `Action.epochComplete`.
    public var pendingRequests: [B.Request] {
        var list: [B.Request] = []
        list.reserveCapacity(state.queue.pending.count)
        var seen = Set<Digest>()
        for d in state.queue.order[state.queue.head...] {
            if let r = state.queue.pending[d], seen.insert(d).inserted { list.append(r) }
        }
        return list
    }
}
