import Logging
import NIOCore
import Synchronization

/// Where the RPC server reports connections it refused or timed out and requests its `HostOriginPolicy` refused:
/// each is counted in `RPCMetrics` at once, and logged at notice at most once per `logIntervalMs` — the line
/// carries how many of each kind happened since the previous one, so an attack of thousands of connections
/// writes a few lines, not thousands.
final class ConnectionIncidents: Sendable {
    private let metrics: RPCMetrics
    private let logger: Logger
    private let logIntervalNs: UInt64
    private struct Pending {
        var lastLogNs: UInt64?
        var counts: [String: Int] = [:]
        var lastRemote: String?
    }
    private let pending = Mutex(Pending())

    /// Reports into `metrics` and `logger`, logging at most once per `logIntervalMs`.
    init(metrics: RPCMetrics, logger: Logger, logIntervalMs: Int64 = RPCLimits.connectionLogIntervalMs) {
        self.metrics = metrics
        self.logger = logger
        logIntervalNs = UInt64(max(0, logIntervalMs)) * 1_000_000
    }

    /// A connection was closed because its `phase` deadline passed.
    func timedOut(_ phase: RequestDeadlines.Phase, remote: SocketAddress?) {
        metrics.connectionTimedOut(phase: phase.rawValue)
        note("timed_out_\(phase.rawValue)", remote: remote)
    }

    /// A connection was refused at accept (`reason` "too_many_connections" or "too_many_from_address").
    func refused(_ reason: String, remote: SocketAddress?) {
        metrics.connectionRefused(reason: reason)
        note("refused_\(reason)", remote: remote)
    }

    /// A request was refused by the host policy (`reason` "host_not_allowed" or "origin_not_allowed").
    func forbidden(_ reason: String, remote: SocketAddress?) {
        metrics.requestForbidden(reason: reason)
        note("forbidden_\(reason)", remote: remote)
    }

    private func note(_ kind: String, remote: SocketAddress?) {
        let now = NIODeadline.now().uptimeNanoseconds
        let due: (counts: [String: Int], remote: String?)? = pending.withLock { p in
            p.counts[kind, default: 0] += 1
            p.lastRemote = remote?.ipAddress
            if let last = p.lastLogNs, now &- last < logIntervalNs { return nil }
            p.lastLogNs = now
            defer { p.counts = [:] }
            return (p.counts, p.lastRemote)
        }
        guard let due else { return }
        logger.notice("rpc connections refused or timed out", metadata: [
            "counts": "\(due.counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))",
            "last_remote": "\(due.remote ?? "?")",
            "next_report_in_ms": "\(logIntervalNs / 1_000_000)",
        ])
    }
}
