import LedgerCore
import LedgerCrypto

/// Pace monitoring: backups vote out a primary that is slow but not silent (in the spirit of
/// Aardvark, Clement et al., NSDI 2009).
///
/// The view-change timer alone cannot catch a primary that delays every proposal to just under
/// the timeout: each request still executes "in time", so the timer never fires, and the
/// primary keeps the whole system at its chosen crawl. The **proposal-latency rule** closes
/// that gap with a tighter bound on one thing the primary alone controls, ordering:
///
/// > A backup that has held a request for longer than the proposal-latency bound without seeing
/// > it in a PRE-PREPARE of the current view suspects the primary and starts a view change.
///
/// - A request's wait starts when this backup learned of it (`Event.requests`), and never
///   before the current view started plus `viewStartGraceMs` (the new primary first re-proposes
///   the O set), nor before the last moment the primary had a legitimate reason not to propose
///   (the watermark window looked full, or this backup was itself in state transfer), nor before
///   the last moment this backup had evidence that it, not the primary, is missing PRE-PREPAREs
///   (f + 1 votes for a sequence number it has no PRE-PREPARE for, or the primary's PRE-PREPAREs
///   above its high watermark).
/// - The bound is `batchDelayMs + proposalLatencySlack × expected`, clamped to
///   `proposalLatencyFloorMs … proposalLatencyCeilingMs`, where `expected` is the worst
///   proposal latency this backup saw in the last `paceHistoryViews` earlier views that it did
///   not itself vote out on pace. With no history (the first view) the bound is the ceiling.
///   The current view never feeds its own bound, so a slow primary cannot train the backups to
///   tolerate it, and views that ended in a pace suspicion are not remembered.
/// - The expectation is relative and the slack generous on purpose: a CPU-starved honest
///   primary is slow in every view, which raises `expected` for all of them alike; the floor
///   (60 % of the view-change timeout by default) keeps a stall shorter than that (an fsync, a
///   scheduling gap) from costing a view however fast earlier views were.
///
/// **What a slow primary can still get away with.** It may hold each request for up to the
/// current bound (at least the floor, `PBFTLimits.defaultProposalLatencyFloorPermille` of the
/// view-change timeout by default): against closed-loop clients that still costs throughput.
/// It may order requests one by one as long as none waits past the bound, so it can cap
/// throughput at the offered load while adding latency. It can be fast to f + 1 backups and slow
/// to the others (those others alone cannot change the view, and the fast quorum keeps
/// committing). It can censor requests that reach only it. Commit-phase slowness (slow
/// PREPAREs, COMMITs) is the view-change timer's business, not this rule's. What it can no
/// longer do is hold proposals for most of the view-change timeout indefinitely.
extension Replica {
    /// The proposal-latency bound in force in the current view, ms.
    var proposalLatencyBound: UInt64 {
        let c = configuration
        guard let expected = state.pace.historyMs.max() else { return c.proposalLatencyCeilingMs }
        let (scaled, scaleOverflow) = expected.multipliedReportingOverflow(by: c.proposalLatencySlack)
        let (sum, sumOverflow) = scaled.addingReportingOverflow(c.batchDelayMs)
        let raw = scaleOverflow || sumOverflow ? UInt64.max : sum
        return min(c.proposalLatencyCeilingMs, max(c.proposalLatencyFloorMs, raw))
    }

    /// A new view starts (installed, or the replica started in it): requests pending now get the
    /// grace period, and the view's pace is measured afresh.
    mutating func beginViewPace(_ ctx: inout Context<B>) {
        state.pace.viewStartedAtMs = ctx.now
        let (start, overflow) = ctx.now.addingReportingOverflow(configuration.viewStartGraceMs)
        state.pace.clockStartMs = overflow ? UInt64.max : start
        state.pace.viewProposalLatencyMs = nil
        state.pace.suspectedPrimary = false
        ensurePaceTimer(&ctx)
    }

    /// The current view ends (we leave it for a view change): remember its pace unless we voted
    /// its primary out for being slow, and stop the check.
    mutating func endViewPace(_ ctx: inout Context<B>) {
        if !state.pace.suspectedPrimary, let latency = state.pace.viewProposalLatencyMs {
            state.pace.historyMs.append(latency)
            if state.pace.historyMs.count > configuration.paceHistoryViews {
                state.pace.historyMs.removeFirst(state.pace.historyMs.count - configuration.paceHistoryViews)
            }
        }
        state.pace.viewProposalLatencyMs = nil
        state.pace.suspectedPrimary = false
        if state.pace.timerRunning {
            state.pace.timerRunning = false
            ctx.emit(.cancelTimer(.pace))
        }
    }

    /// A backup accepted a PRE-PREPARE for `batch` in the current view: its requests are
    /// ordered, and each one this backup was waiting for is a sample of the primary's pace.
    mutating func recordProposal(_ batch: B, _ ctx: inout Context<B>) {
        var latest: UInt64?
        for r in batch.requests {
            let d = r.requestDigest
            state.queue.inFlight.insert(d)
            guard let since = state.queue.arrivedAtMs[d], since >= state.pace.viewStartedAtMs, ctx.now >= since else { continue }
            latest = max(latest ?? 0, ctx.now - since)
        }
        if let latest { state.pace.viewProposalLatencyMs = max(state.pace.viewProposalLatencyMs ?? 0, latest) }
    }

    /// The primary had a legitimate reason not to propose until now: measure waits from here.
    mutating func restartPaceClock(_ ctx: inout Context<B>) {
        state.pace.clockStartMs = max(state.pace.clockStartMs, ctx.now)
    }

    /// When the oldest request this backup holds that no PRE-PREPARE of the view ordered yet
    /// started waiting, or `nil` if there is none.
    var oldestUnorderedWaitStart: UInt64? {
        var i = state.queue.head
        while i < state.queue.order.count {
            let d = state.queue.order[i]
            if state.queue.pending[d] != nil, !state.queue.inFlight.contains(d) {
                return max(state.queue.arrivedAtMs[d] ?? state.pace.clockStartMs, state.pace.clockStartMs)
            }
            i += 1
        }
        return nil
    }

    /// How long, at `now`, the oldest request this replica holds that no PRE-PREPARE of the view
    /// ordered yet has waited, ms, measured as the pace check measures it (so 0 during a new
    /// view's grace period); 0 when every held request is ordered. At a backup this is what the
    /// pace check compares with its bound; at the primary it is the age of its proposal backlog.
    /// The node refuses new client requests while it grows toward the bound, so that offered load
    /// beyond what the primary can order waits at the clients instead of costing a view change.
    public func oldestUnorderedWaitMs(now: UInt64) -> UInt64 {
        guard let start = oldestUnorderedWaitStart, now > start else { return 0 }
        return now - start
    }

    /// `true` when this backup's log of the view reaches within one checkpoint interval of its
    /// high watermark: the primary may be out of sequence numbers (its own low watermark can lag
    /// ours by a checkpoint), which is not its fault.
    var primaryMayBeOutOfWindow: Bool {
        guard let top = state.entries.filter({ $0.value.view == state.view && $0.value.prePrepare != nil }).keys.max() else {
            return false
        }
        return top.rawValue.addingReportingOverflow(configuration.checkpointInterval).partialValue >= highWatermark.rawValue
    }

    /// `true` when this backup has evidence that the primary is proposing and it is the one
    /// missing the PRE-PREPAREs: f + 1 replicas (one of them honest) voted in the current view for
    /// a sequence number it holds no PRE-PREPARE for (a lost message; retransmission or catch-up
    /// brings it), or the primary's own PRE-PREPAREs arrived above its high watermark (it is behind).
    var missedPrimaryProposals: Bool {
        if let at = state.pace.primaryProposedAboveWindowAtMs, at >= state.pace.viewStartedAtMs { return true }
        for (seq, e) in state.entries where seq > state.lastCommitted && e.view == state.view && e.prePrepare == nil {
            var voters = Set(e.prepares.keys)
            voters.formUnion(e.commits.keys)
            if voters.count >= configuration.weakQuorum { return true }
        }
        return false
    }

    /// Starts the pace timer for the oldest unordered request if this backup is waiting for one.
    mutating func ensurePaceTimer(_ ctx: inout Context<B>) {
        guard configuration.isPaceCheckEnabled, !state.pace.timerRunning, !state.isChangingView, !isPrimary, !epochIsFull,
              let start = oldestUnorderedWaitStart else { return }
        let (deadline, overflow) = start.addingReportingOverflow(proposalLatencyBound)
        guard !overflow else { return }
        state.pace.timerRunning = true
        ctx.emit(.setTimer(.pace, afterMilliseconds: deadline > ctx.now ? deadline - ctx.now : 1))
    }

    /// The pace timer fired: suspect the primary if the oldest unordered request waited past the
    /// bound, else wait for the next deadline.
    mutating func paceTimerFired(_ ctx: inout Context<B>) {
        guard state.pace.timerRunning else { return }
        state.pace.timerRunning = false
        guard configuration.isPaceCheckEnabled, !state.isChangingView, !isPrimary, !epochIsFull, let next = state.view.next,
              let start = oldestUnorderedWaitStart else { return }
        if state.stateTransferTarget != nil || primaryMayBeOutOfWindow || missedPrimaryProposals {
            state.pace.windowMayBeFull = state.stateTransferTarget == nil && primaryMayBeOutOfWindow
            state.pace.primaryProposedAboveWindowAtMs = nil
            restartPaceClock(&ctx)
            ensurePaceTimer(&ctx)
            return
        }
        let bound = proposalLatencyBound
        let waited = ctx.now >= start ? ctx.now - start : 0
        guard waited >= bound else {
            ensurePaceTimer(&ctx)
            return
        }
        state.pace.suspectedPrimary = true
        state.counters.paceViewChangesStarted += 1
        startViewChange(
            to: next, reason: "a pending request waited \(waited) ms for a pre-prepare (proposal-latency bound \(bound) ms)", &ctx)
    }
}
