import LedgerCrypto
import Logging
import NIOCore
import Synchronization

/// Where the RPC server reports connections it refused, timed out or evicted and requests its `HostOriginPolicy` refused:
/// each is counted in `RPCMetrics` at once, and logged at notice at most once per `logIntervalMs` — the line
/// carries how many of each kind happened since the previous one, so an attack of thousands of connections
/// writes a few lines, not thousands.
final class ConnectionIncidents: Sendable {
    private let metrics: RPCMetrics
    private let logger: Logger
    private let throttle: Mutex<LogThrottle>

    /// Reports into `metrics` and `logger`, logging at most once per `logIntervalMs`.
    init(metrics: RPCMetrics, logger: Logger, logIntervalMs: Int64 = RPCLimits.connectionLogIntervalMs) {
        self.metrics = metrics
        self.logger = logger
        throttle = Mutex(LogThrottle(intervalMs: logIntervalMs))
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

    /// A connection was closed to admit another at the connection cap, while waiting on its client in `phase`
    /// (`nil`: it had just begun a request when it was chosen).
    func evicted(_ phase: RequestDeadlines.Phase?, remote: SocketAddress?) {
        metrics.connectionEvicted()
        note("evicted_\(phase?.rawValue ?? "busy")", remote: remote)
    }

    /// A request was refused by the host policy (`reason` "host_not_allowed" or "origin_not_allowed").
    func forbidden(_ reason: String, remote: SocketAddress?) {
        metrics.requestForbidden(reason: reason)
        note("forbidden_\(reason)", remote: remote)
    }

    private func note(_ kind: String, remote: SocketAddress?) {
        let now = NIODeadline.now().uptimeNanoseconds
        let (report, intervalMs) = throttle.withLock { ($0.note(kind, nowNs: now), $0.intervalMs) }
        guard let report else { return }
        // The incident that made the line due is the latest one: its address is the line's `last_remote`.
        logger.notice("rpc connections refused, timed out or evicted", metadata: [
            "counts": "\(report.summary)",
            "last_remote": "\(remote?.ipAddress ?? "?")",
            "next_report_in_ms": "\(intervalMs)",
        ])
    }
}
