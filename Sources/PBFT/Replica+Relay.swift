import LedgerCore
import LedgerCrypto

/// Backups relay the requests they hold to the primary before they could suspect it
/// (Castro & Liskov §4.1: "if the replica is not the primary, it relays the request to the
/// primary").
///
/// Requests normally reach the primary by the mempool's gossip. A Byzantine validator that
/// gossips a client's request to the backups only would otherwise make them vote out an honest
/// primary that never saw it: their view-change timer and pace check (`Replica+Pace.swift`)
/// measure from when *they* learned of the request. So a backup that has held a request
/// unordered for `ReplicaConfiguration.requestRelayDelayMs` (half the pace check's floor by
/// default) hands it to the primary, and the primary has the rest of that time to order it.
///
/// - The wait is measured from the same start as the pace check's (when this backup learned of
///   the request, but not before the view's start plus its grace, nor before the last moment
///   the primary was excused), so a new primary gets every held request once, early in its view.
/// - Each request is relayed at most once per view (`relayCursor` only moves forward in a view),
///   at most a batch's worth (`maxBatchTxs`, `maxBatchBytes`) per relay, and after a full one
///   the next waits a batch delay: a backup sends the primary at most what it could propose.
/// - An honest primary that has the request (the usual case) drops the copy as a duplicate; it
///   orders requests well inside the delay (its longest hold is a quarter of the floor), so
///   relays are rare unless something withholds requests from it.
/// - Once a relay was needed in a view (a request waited the whole delay unordered), something
///   keeps requests from this primary — typically a validator that gossips its clients'
///   requests to the backups only, all of them, all the time — so the rest of the view relays
///   after `promptRequestRelayDelayMs` (two batch delays) instead: its clients then wait about a
///   batch delay longer than through an honest node, not half the pace floor (decision 0006).
///   The rule stays bounded as before (once per request per view), a view that never needed a
///   relay never changes, and every new view starts with the full delay again.
extension Replica {
    /// When the relay wait of the pending request `digest` started.
    private func relayWaitStart(_ digest: Digest) -> UInt64 {
        max(state.queue.arrivedAtMs[digest] ?? state.pace.clockStartMs, state.pace.clockStartMs)
    }

    /// The relay delay in force: the full one until a relay was needed in this view, then the prompt one.
    /// Switching lowers every held request's due time by the same amount, so due times stay in FIFO order.
    var currentRelayDelayMs: UInt64 {
        state.relaysPromptInView ? configuration.promptRequestRelayDelayMs : configuration.requestRelayDelayMs
    }

    /// When the request at `relayCursor` is due for a relay (`nil`: none waits, or never).
    private var nextRelayDueMs: UInt64? {
        guard state.queue.relayCursor < state.queue.order.count else { return nil }
        let (due, overflow) = relayWaitStart(state.queue.order[state.queue.relayCursor])
            .addingReportingOverflow(currentRelayDelayMs)
        guard !overflow else { return nil }
        guard let last = state.lastFullRelayAtMs else { return due }
        let (paced, pacedOverflow) = last.addingReportingOverflow(configuration.batchDelayMs)
        return pacedOverflow ? nil : max(due, paced)
    }

    /// Moves `relayCursor` past requests that are ordered in this view or gone.
    private mutating func skipRelayCursorPastOrdered() {
        state.queue.relayCursor = max(state.queue.relayCursor, state.queue.head)
        while state.queue.relayCursor < state.queue.order.count {
            let d = state.queue.order[state.queue.relayCursor]
            if state.queue.pending.index(forKey: d) != nil && !state.queue.inFlight.contains(d) { return }
            state.queue.relayCursor += 1
        }
    }

    /// A view starts (installed, or the replica started in it): every request still held may be
    /// relayed once to its primary.
    mutating func beginViewRelay(_ ctx: inout Context<B>) {
        state.queue.relayCursor = state.queue.head
        state.lastFullRelayAtMs = nil
        state.relaysPromptInView = false
        if state.timers.relayTimerRunning {
            state.timers.relayTimerRunning = false
            ctx.emit(.cancelTimer(.relay))
        }
        ensureRelayTimer(&ctx)
    }

    /// The view ends (we leave it for a view change): no relays until the next one starts.
    mutating func endViewRelay(_ ctx: inout Context<B>) {
        guard state.timers.relayTimerRunning else { return }
        state.timers.relayTimerRunning = false
        ctx.emit(.cancelTimer(.relay))
    }

    /// Arms the relay timer for the next request due, if this backup holds one it has not relayed
    /// in this view.
    mutating func ensureRelayTimer(_ ctx: inout Context<B>) {
        guard configuration.isRequestRelayEnabled, !state.timers.relayTimerRunning, !state.isChangingView, !isPrimary,
              !epochIsFull else { return }
        skipRelayCursorPastOrdered()
        guard let due = nextRelayDueMs else { return }
        state.timers.relayTimerRunning = true
        ctx.emit(.setTimer(.relay, afterMilliseconds: due > ctx.now ? due - ctx.now : 1))
    }

    /// The relay timer fired: relay what is due, then wait for the next one.
    mutating func relayTimerFired(_ ctx: inout Context<B>) {
        guard state.timers.relayTimerRunning else { return }
        state.timers.relayTimerRunning = false
        guard configuration.isRequestRelayEnabled, !state.isChangingView, !isPrimary else { return }
        relayDueRequests(&ctx)
        ensureRelayTimer(&ctx)
    }

    /// Relays to the primary, in arrival order, the held requests whose wait reached the relay
    /// delay, up to a batch's worth.
    private mutating func relayDueRequests(_ ctx: inout Context<B>) {
        skipRelayCursorPastOrdered()
        guard let due = nextRelayDueMs, due <= ctx.now else { return }
        let delay = currentRelayDelayMs
        var chosen: [B.Request] = []
        var bytes = B.headerByteCount
        var full = false
        while state.queue.relayCursor < state.queue.order.count {
            let d = state.queue.order[state.queue.relayCursor]
            guard let r = state.queue.pending[d], !state.queue.inFlight.contains(d) else {
                state.queue.relayCursor += 1
                continue
            }
            let (at, overflow) = relayWaitStart(d).addingReportingOverflow(delay)
            guard !overflow, at <= ctx.now else { break }
            if chosen.count >= configuration.maxBatchTxs || bytes + r.encodedByteCount > configuration.maxBatchBytes {
                full = true
                break
            }
            chosen.append(r)
            bytes += r.encodedByteCount
            state.queue.relayCursor += 1
        }
        state.lastFullRelayAtMs = full ? ctx.now : nil
        guard !chosen.isEmpty else { return }
        if !state.relaysPromptInView {
            state.relaysPromptInView = true
            state.counters.promptRelayViews += 1
        }
        state.counters.requestsRelayed += chosen.count
        ctx.emit(.relay(chosen, to: primary(of: state.view)))
    }
}
