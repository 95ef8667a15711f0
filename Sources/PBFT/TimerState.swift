import LedgerCrypto

/// The replica's timers, one owner: which are armed (the driver holds the real ones; the replica
/// asks through `Action.setTimer`/`.cancelTimer`) and what they wait for.
struct TimerState: Sendable {
    /// The primary's batch timer is armed.
    var batchTimerRunning = false
    /// When the batch timer is due (the deadline it was armed for), while it runs.
    var batchTimerDueMs: UInt64 = 0
    /// Since when the primary has held an unproposed request (`nil`: it holds none).
    var batchHoldStartMs: UInt64?
    /// The view-change timer is armed (waiting for pending work, or for a NEW-VIEW).
    var viewChangeTimerRunning = false
    /// The retransmission (and STATUS) timer is armed; once started it always is.
    var retransmitTimerRunning = false
    /// The current view-change timeout (doubles at each view change without progress, up to the maximum).
    var viewChangeTimeoutMs: UInt64
    /// The pending request the running view-change timer waits for (the oldest when it started).
    var watchedRequest: Digest?
    /// A backup's relay timer is armed (`Replica+Relay.swift`).
    var relayTimerRunning = false

    init(viewChangeTimeoutMs: UInt64) { self.viewChangeTimeoutMs = viewChangeTimeoutMs }
}
