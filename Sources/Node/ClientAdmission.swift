import Logging

/// Whether client transactions are taken right now, and the log of each busy spell (when it
/// starts, every `NodeLimits.busyLogIntervalMs` while it lasts, and when it ends). Owned by the
/// driver; gossip from other validators is never refused here.
struct ClientAdmission {
    /// The backlog and waiting-time rules (`AdmissionControl`).
    var control: AdmissionControl
    /// When the busy spell in progress started (`nil`: taking transactions).
    private var spellStartedAt: UInt64?
    private var refusedInSpell = 0
    private var loggedAt: UInt64 = 0

    init(control: AdmissionControl) { self.control = control }

    /// The refusal for `count` client transactions arriving at `nowMs`, or `nil`: while the
    /// replica changes view to `changingTo` (nothing it admits can be ordered until a view is
    /// installed, and a lone view change may last until the replica finds the others still
    /// working), else as `AdmissionControl` says. `oldestUnorderedWaitMs` is asked only when the
    /// backlog is large enough for it to matter (it walks the replica's queue).
    mutating func refusal(changingTo: UInt64?, backlog: Int, oldestUnorderedWaitMs: () -> UInt64, paceBoundMs: UInt64,
                          nowMs now: UInt64, count: Int, logger: Logger) -> MempoolRejection? {
        let refusal: MempoolRejection?
        if let view = changingTo {
            refusal = .changingView(view: view, retryAfterMs: NodeLimits.viewChangeRetryAfterMs)
        } else {
            let waited = backlog >= control.minimumBacklog ? oldestUnorderedWaitMs() : 0
            refusal = control.refusal(backlog: backlog, oldestUnorderedWaitMs: waited, paceBoundMs: paceBoundMs, nowMs: now)
        }
        guard let refusal else {
            if let since = spellStartedAt {
                logger.info("taking client transactions again", metadata: [
                    "busy_ms": "\(now >= since ? now - since : 0)", "refused": "\(refusedInSpell)"])
                spellStartedAt = nil
            }
            return nil
        }
        if spellStartedAt == nil {
            spellStartedAt = now
            refusedInSpell = 0
            loggedAt = now
            logger.info("refusing client transactions as busy", metadata: ["why": "\(refusal)"])
        } else if now >= loggedAt, now - loggedAt >= NodeLimits.busyLogIntervalMs {
            loggedAt = now
            logger.info("still refusing client transactions as busy", metadata: ["refused": "\(refusedInSpell)", "why": "\(refusal)"])
        }
        refusedInSpell += count
        return refusal
    }
}
