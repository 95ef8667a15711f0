import LedgerCore
import LedgerCrypto

/// A backup's watch on the primary's proposal pace, one owner: `Replica+Pace.swift`.
struct PaceMonitor: Sendable {
    /// The pace timer is set.
    var timerRunning = false
    /// When the current view started (installed, or the replica started in it).
    var viewStartedAtMs: UInt64 = 0
    /// Waits are measured from no earlier than this (view start + grace, or the last excuse).
    var clockStartMs: UInt64 = 0
    /// The last pace check found the window (possibly) full; a new stable checkpoint restarts the clock.
    var windowMayBeFull = false
    /// The worst proposal latency seen in the current view, ms.
    var viewProposalLatencyMs: UInt64?
    /// The worst proposal latencies of earlier views (oldest first, at most `paceHistoryViews`).
    var historyMs: [UInt64] = []
    /// When a PRE-PREPARE of the current view's primary last arrived above our high watermark.
    var primaryProposedAboveWindowAtMs: UInt64?
    /// This replica voted the current primary out for its pace (its view is not remembered).
    var suspectedPrimary = false
}

extension PaceMonitor {
    /// The monitor's invariants: bounded history, the clock never before the view's start, and
    /// the timer set only where the check runs (a backup in a view, not changing).
    func checkInvariants(historyViews: Int, isEnabled: Bool, isWatching: Bool, _ report: inout InvariantReport) {
        report.expect(historyMs.count <= historyViews, "pace.history",
                      "\(historyMs.count) views of history, bound paceHistoryViews \(historyViews)")
        report.expect(clockStartMs >= viewStartedAtMs, "pace.clock",
                      "clock starts at \(clockStartMs), before the view started at \(viewStartedAtMs)")
        report.expect(!timerRunning || (isEnabled && isWatching), "pace.timer",
                      "the pace timer runs while the check is \(isEnabled ? "on" : "off") and this replica is "
                      + "\(isWatching ? "" : "not ")a backup working in its view")
    }
}
