/// Percentiles of a set of latencies (nearest-rank method: the p-th percentile is the smallest sample with at least
/// p % of the samples at or below it, so every reported figure is a latency that really happened).
public struct LatencySummary: Equatable, Sendable {
    /// Number of samples.
    public var count: Int
    /// Median, ms.
    public var p50Ms: Double
    /// 95th percentile, ms.
    public var p95Ms: Double
    /// 99th percentile, ms.
    public var p99Ms: Double
    /// Largest sample, ms.
    public var maxMs: Double
    /// Arithmetic mean, ms.
    public var meanMs: Double

    /// The summary of `samplesMs` (any order); `nil` when there are none.
    public init?(samplesMs: [Double]) {
        guard !samplesMs.isEmpty else { return nil }
        let sorted = samplesMs.sorted()
        count = sorted.count
        p50Ms = Self.percentile(sorted: sorted, 50)
        p95Ms = Self.percentile(sorted: sorted, 95)
        p99Ms = Self.percentile(sorted: sorted, 99)
        maxMs = sorted[sorted.count - 1]
        meanMs = sorted.reduce(0, +) / Double(sorted.count)
    }

    /// The nearest-rank `p`-th percentile (0 < p ≤ 100) of an ascending, non-empty array.
    public static func percentile(sorted: [Double], _ p: Double) -> Double {
        precondition(!sorted.isEmpty && p > 0 && p <= 100, "percentile needs samples and 0 < p ≤ 100")
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
