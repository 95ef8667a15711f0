/// The timing plan of an open-loop load: transaction `k` (0-based) is due at `k / rate` seconds after the phase
/// starts, independent of how fast the node answers (so a slow node shows up as latency, not as a lower offered rate).
public struct RateSchedule: Equatable, Sendable {
    /// Offered transactions per second.
    public var rate: Double
    /// Transactions in the phase.
    public var total: Int

    /// A plan of `total` transactions at `rate` per second.
    public init(rate: Double, total: Int) {
        precondition(rate > 0 && total >= 0, "a schedule needs a positive rate")
        self.rate = rate
        self.total = total
    }

    /// How many transactions are due by `elapsed` seconds into the phase (those with `k / rate ≤ elapsed`).
    public func due(atElapsed elapsed: Double) -> Int {
        guard elapsed >= 0 else { return 0 }
        let n = (elapsed * rate).rounded(.down) + 1
        return n >= Double(total) ? total : Int(n)
    }

    /// When transaction `k` is due, seconds into the phase.
    public func dueTime(of k: Int) -> Double { Double(k) / rate }

    /// How long the plan lasts: the due time of its last transaction.
    public var duration: Double { total == 0 ? 0 : dueTime(of: total - 1) }
}
