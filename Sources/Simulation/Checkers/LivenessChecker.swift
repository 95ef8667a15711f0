import LedgerCrypto

/// Checks that every transaction submitted to honest replicas commits in bounded time after GST.
///
/// A transaction submitted at `s` must be committed by some honest replica by
/// `max(s, GST) + boundMs`. The bound is stated by the simulator from its parameters
/// (see `Scenario.livenessBoundMs`); the check applies only to runs with at most `f`
/// faulty replicas after GST.
public struct LivenessChecker: Sendable {
    private var pending: [Digest: VirtualTime] = [:]
    private var committedCount = 0
    /// Global stabilisation time of the run.
    public let gst: VirtualTime
    /// The stated bound in milliseconds of virtual time.
    public let boundMs: UInt64

    /// A checker for a run with the given GST and bound.
    public init(gst: VirtualTime, boundMs: UInt64) {
        self.gst = gst
        self.boundMs = boundMs
    }

    /// `transaction` was handed to the honest replicas at `time`.
    public mutating func recordSubmitted(_ transaction: Digest, at time: VirtualTime) {
        if pending[transaction] == nil { pending[transaction] = time }
    }

    /// Some honest replica committed `transaction`; returns a violation if that was too late.
    public mutating func recordCommitted(_ transaction: Digest, at time: VirtualTime) -> Violation? {
        guard let submitted = pending.removeValue(forKey: transaction) else { return nil }
        committedCount += 1
        let deadline = deadline(submittedAt: submitted)
        guard time > deadline else { return nil }
        return Violation(
            property: .liveness, time: time,
            detail: "transaction \(transaction.hex.prefix(16))… submitted at \(submitted.milliseconds)ms committed at "
                + "\(time.milliseconds)ms, after its deadline \(deadline.milliseconds)ms (GST \(gst.milliseconds)ms + bound \(boundMs)ms)")
    }

    /// The latest time `transaction` submitted at `submitted` may commit.
    public func deadline(submittedAt submitted: VirtualTime) -> VirtualTime {
        max(submitted, gst).advanced(by: boundMs)
    }

    /// Transactions still uncommitted whose deadline passed by `now` (the oldest first).
    public func overdue(at now: VirtualTime) -> [Violation] {
        let late = pending.filter { deadline(submittedAt: $0.value) < now }
            .sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        guard let oldest = late.first else { return [] }
        return [Violation(
            property: .liveness, time: now,
            detail: "\(late.count) transaction(s) uncommitted past their deadline; oldest \(oldest.key.hex.prefix(16))… "
                + "submitted at \(oldest.value.milliseconds)ms, deadline \(deadline(submittedAt: oldest.value).milliseconds)ms "
                + "(GST \(gst.milliseconds)ms + bound \(boundMs)ms)")]
    }

    /// Number of submitted transactions not yet committed.
    public var pendingCount: Int { pending.count }

    /// Number of submitted transactions committed so far.
    public var committed: Int { committedCount }
}
