/// Rate-limits log lines about incidents that can come in floods (refused or timed-out connections): every incident
/// is counted by reason, the first is reported at once, and later ones at most once per `intervalNs`, each report
/// carrying what was counted since the previous one. An attack of thousands of connections then writes a few lines,
/// not thousands, and none of them hides how many it stands for.
///
/// Pure: the caller passes the time (monotonic nanoseconds) and keeps the value under its own lock. It lives here
/// because this is the lowest module both the peer transport (`P2P`) and the JSON-RPC server (`RPC`) depend on;
/// neither may import the other.
public struct LogThrottle: Sendable {
    /// What a due log line says.
    public struct Report: Sendable, Equatable {
        /// Incidents since the previous report, the one that made this report due included, by reason.
        public let counts: [String: Int]

        /// All of `counts`.
        public var total: Int { counts.values.reduce(0, +) }

        /// `counts` as `reason=count` pairs, sorted by reason and separated by spaces (one log field).
        public var summary: String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    /// The shortest time between two reports, ns.
    public let intervalNs: UInt64
    private var lastReportNs: UInt64?
    private var counts: [String: Int] = [:]

    /// A throttle reporting at most once per `intervalMs` (a negative interval counts as 0: every incident reported).
    public init(intervalMs: Int64) {
        intervalNs = UInt64(max(0, intervalMs)).multipliedReportingOverflow(by: 1_000_000).partialValue
    }

    /// The shortest time between two reports, ms.
    public var intervalMs: UInt64 { intervalNs / 1_000_000 }

    /// Counts one incident of `reason` at `nowNs`. Returns the report to log when one is due (the first incident
    /// ever, or the first at least `intervalNs` after the previous report), else `nil` (counted for the next one).
    public mutating func note(_ reason: String, nowNs: UInt64) -> Report? {
        counts[reason, default: 0] += 1
        if let last = lastReportNs, nowNs &- last < intervalNs { return nil }
        lastReportNs = nowNs
        defer { counts = [:] }
        return Report(counts: counts)
    }
}
