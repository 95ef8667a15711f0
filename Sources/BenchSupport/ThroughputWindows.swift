/// Committed transactions counted in fixed windows (e.g. 250 ms) from a start instant, and the recovery time after a
/// fault: how long until a window's throughput is back to a share of the rate before the fault.
public struct ThroughputWindows: Equatable, Sendable {
    /// Window length, s.
    public var width: Double
    /// Start of window 0, s.
    public var start: Double
    /// Transactions committed per window.
    public var counts: [Int]

    /// Buckets `events` (instant, transactions) into `windowCount` windows of `width` from `start`; events outside
    /// are ignored.
    public init(events: [(time: Double, transactions: Int)], start: Double, width: Double, windowCount: Int) {
        precondition(width > 0 && windowCount >= 0, "windows need a positive width")
        self.width = width
        self.start = start
        var counts = Array(repeating: 0, count: windowCount)
        for e in events where e.time >= start {
            let i = Int((e.time - start) / width)
            if i < windowCount { counts[i] += e.transactions }
        }
        self.counts = counts
    }

    /// Transactions per second in window `i`.
    public func rate(_ i: Int) -> Double { Double(counts[i]) / width }

    /// The recovery after a fault at `faultTime`.
    public struct Recovery: Equatable, Sendable {
        /// Mean committed tx/s over the windows between `baselineStart` and the fault.
        public var baselineTps: Double
        /// Lowest window rate after the fault, tx/s.
        public var lowestTps: Double
        /// Seconds from the fault to the end of the first window (of two in a row) back at `share` of the baseline;
        /// `nil` if that never happened in the windows measured.
        public var recoverySeconds: Double?
    }

    /// Analyses the windows around a fault: the baseline is the mean of the whole windows in
    /// `[baselineStart, faultTime)`, and recovery needs two consecutive windows (or the last one) at ≥ `share` of it,
    /// so one lucky window right after the fault does not count.
    public func recovery(faultTime: Double, baselineStart: Double, share: Double) -> Recovery? {
        let first = Int(((baselineStart - start) / width).rounded(.up))
        let faultIndex = Int(((faultTime - start) / width).rounded(.down))
        guard first >= 0, faultIndex > first, faultIndex <= counts.count else { return nil }
        let baseline = (first..<faultIndex).map(rate).reduce(0, +) / Double(faultIndex - first)
        let after = faultIndex..<counts.count
        let lowest = after.map(rate).min() ?? 0
        let bar = baseline * share
        var recovered: Double?
        for i in after where rate(i) >= bar && (i + 1 == counts.count || rate(i + 1) >= bar) {
            // A window that begins before the fault has counted pre-fault commits: start with the next one.
            if start + Double(i) * width < faultTime { continue }
            recovered = start + Double(i + 1) * width - faultTime
            break
        }
        return Recovery(baselineTps: baseline, lowestTps: lowest, recoverySeconds: recovered)
    }
}
