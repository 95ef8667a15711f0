import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The node's Prometheus metrics (prefix `ledger_`), created through swift-metrics on a registry this object owns —
/// never through the global `MetricsSystem`, so one process can run several nodes (tests do).
public final class RPCMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let height: CoreMetrics.Gauge
    private let view: CoreMetrics.Gauge
    private let viewChanges: CoreMetrics.Counter
    private let committedTransactions: CoreMetrics.Counter
    private let committedBlocks: CoreMetrics.Counter
    private let mempoolSize: CoreMetrics.Gauge
    private let peersConnected: CoreMetrics.Gauge
    private let commitLatency: CoreMetrics.Timer
    private let stateTransferHeight: CoreMetrics.Gauge
    private let stateTransferTarget: CoreMetrics.Gauge
    private let evidence: CoreMetrics.Counter
    private let webSocketDrops: CoreMetrics.Counter
    private let signatureChecks: CoreMetrics.Gauge
    private let signatureCacheHits: CoreMetrics.Gauge
    private let peerMessagesDropped: CoreMetrics.Gauge
    private let votesWithheldUntil: CoreMetrics.Gauge
    private let timedOutConnections: [String: CoreMetrics.Counter]
    private let refusedConnections: [String: CoreMetrics.Counter]
    private let forbiddenRequests: [String: CoreMetrics.Counter]
    private let evictedConnections: CoreMetrics.Counter
    private let requests = Mutex<[String: CoreMetrics.Counter]>([:])
    private let totals = Mutex<[String: CoreMetrics.Gauge]>([:])

    /// Latency buckets of `ledger_commit_latency_seconds`.
    public static let commitLatencyBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    /// Fresh metrics on a new registry.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["ledger_commit_latency_seconds"] = Self.commitLatencyBuckets
        self.factory = factory
        height = CoreMetrics.Gauge(label: "ledger_height", dimensions: [], factory: factory)
        view = CoreMetrics.Gauge(label: "ledger_view", dimensions: [], factory: factory)
        viewChanges = CoreMetrics.Counter(label: "ledger_view_changes_total", dimensions: [], factory: factory)
        committedTransactions = CoreMetrics.Counter(label: "ledger_committed_transactions_total", dimensions: [], factory: factory)
        committedBlocks = CoreMetrics.Counter(label: "ledger_committed_blocks_total", dimensions: [], factory: factory)
        mempoolSize = CoreMetrics.Gauge(label: "ledger_mempool_size", dimensions: [], factory: factory)
        peersConnected = CoreMetrics.Gauge(label: "ledger_peers_connected", dimensions: [], factory: factory)
        commitLatency = CoreMetrics.Timer(label: "ledger_commit_latency_seconds", dimensions: [], factory: factory)
        stateTransferHeight = CoreMetrics.Gauge(label: "ledger_state_transfer_height", dimensions: [], factory: factory)
        stateTransferTarget = CoreMetrics.Gauge(label: "ledger_state_transfer_target", dimensions: [], factory: factory)
        evidence = CoreMetrics.Counter(label: "ledger_evidence_total", dimensions: [], factory: factory)
        webSocketDrops = CoreMetrics.Counter(label: "ledger_websocket_slow_clients_dropped_total", dimensions: [], factory: factory)
        signatureChecks = CoreMetrics.Gauge(label: "ledger_consensus_signature_checks", dimensions: [], factory: factory)
        signatureCacheHits = CoreMetrics.Gauge(label: "ledger_consensus_signature_cache_hits", dimensions: [], factory: factory)
        peerMessagesDropped = CoreMetrics.Gauge(label: "ledger_peer_messages_dropped", dimensions: [], factory: factory)
        votesWithheldUntil = CoreMetrics.Gauge(label: "ledger_consensus_votes_withheld_until", dimensions: [], factory: factory)
        // Fixed label sets, created up front so every series is scraped (at 0) before the first incident.
        func counters(_ label: String, _ key: String, _ values: [String]) -> [String: CoreMetrics.Counter] {
            Dictionary(uniqueKeysWithValues: values.map { ($0, CoreMetrics.Counter(label: label, dimensions: [(key, $0)], factory: factory)) })
        }
        timedOutConnections = counters("ledger_rpc_connections_timed_out_total", "phase", RequestDeadlines.Phase.allCases.map(\.rawValue))
        refusedConnections = counters("ledger_rpc_connections_refused_total", "reason", ["too_many_connections", "too_many_from_address"])
        forbiddenRequests = counters("ledger_rpc_requests_forbidden_total", "reason", ["host_not_allowed", "origin_not_allowed"])
        evictedConnections = CoreMetrics.Counter(label: "ledger_rpc_connections_evicted_total", dimensions: [], factory: factory)
    }

    /// A block was applied at `height` holding `transactions` transactions.
    public func blockCommitted(height h: UInt64, transactions: Int) {
        committedBlocks.increment()
        committedTransactions.increment(by: transactions)
        height.record(Int64(clamping: h))
    }

    /// The latest stored height.
    public func setHeight(_ h: UInt64) { height.record(Int64(clamping: h)) }

    /// The replica moved to `view`; `counted` adds one to the view-change counter.
    public func viewChanged(to v: UInt64, counted: Bool = true) {
        view.record(Int64(clamping: v))
        if counted { viewChanges.increment() }
    }

    /// Equivocation evidence was recorded.
    public func evidenceSeen() { evidence.increment() }

    /// State transfer applied up to `height`, aiming at `target`.
    public func stateTransfer(height h: UInt64, target: UInt64) {
        stateTransferHeight.record(Int64(clamping: h))
        stateTransferTarget.record(Int64(clamping: target))
    }

    /// The mempool holds `count` transactions.
    public func setMempoolSize(_ count: Int) { mempoolSize.record(count) }

    /// The voting fence while the node withholds votes after consensus-log records were lost (0: it votes).
    public func setVotesWithheldUntil(_ fence: UInt64) { votesWithheldUntil.record(Double(fence)) }

    /// Since the node started: consensus-message signature checks asked for, those answered from the
    /// signature cache, and peer messages dropped because their verification queue was full.
    public func setPeerIntake(signatureChecks checks: UInt64, cacheHits hits: UInt64, dropped: Int) {
        signatureChecks.record(Int64(clamping: checks))
        signatureCacheHits.record(Int64(clamping: hits))
        peerMessagesDropped.record(dropped)
    }

    /// Running totals read from another component when `/metrics` is scraped (the node passes its peer
    /// transport's counters, `ledger_p2p_*`), each `(name, reason, value)`: `reason`, when not `nil`, becomes a
    /// `reason` label. Callers pass names and reasons from fixed sets, so the series stay few.
    public func setTotals(_ totals: [(name: String, reason: String?, value: Int)]) {
        setLabelledTotals(totals.map { ($0.name, $0.reason.map { [("reason", $0)] } ?? [], $0.value) })
    }

    /// The same with any labels (e.g. `peer` and `reason`), each `(key, value)` from a fixed, small set.
    public func setLabelledTotals(_ totals: [(name: String, labels: [(String, String)], value: Int)]) {
        for (name, labels, value) in totals {
            let gauge = self.totals.withLock { table -> CoreMetrics.Gauge in
                let key = ([name] + labels.map { $0.0 + "=" + $0.1 }).joined(separator: "|")
                if let g = table[key] { return g }
                let g = CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory)
                table[key] = g
                return g
            }
            gauge.record(value)
        }
    }

    /// `count` validators are connected.
    public func setPeersConnected(_ count: Int) { peersConnected.record(count) }

    /// A transaction admitted here committed `nanoseconds` later.
    public func observeCommitLatency(nanoseconds: Int64) { commitLatency.recordNanoseconds(max(0, nanoseconds)) }

    /// A slow WebSocket client was dropped.
    public func webSocketClientDropped() { webSocketDrops.increment() }

    /// An RPC connection was closed because its request head, body or idle deadline passed (`phase`).
    func connectionTimedOut(phase: String) { timedOutConnections[phase]?.increment() }

    /// An RPC connection was refused at accept (`reason`: too_many_connections, too_many_from_address).
    func connectionRefused(reason: String) { refusedConnections[reason]?.increment() }

    /// An RPC connection waiting on its client was closed to admit a new one at the connection cap.
    func connectionEvicted() { evictedConnections.increment() }

    /// An RPC request was refused by the Host/Origin policy (`reason`: host_not_allowed, origin_not_allowed).
    func requestForbidden(reason: String) { forbiddenRequests[reason]?.increment() }

    /// Counts one JSON-RPC call of `method` answered with `code` (0 = success).
    func countRequest(method: String, code: Int) {
        let name = Self.knownMethods.contains(method) ? method : "unknown"
        let key = name + "|" + String(code)
        let counter = requests.withLock { table -> CoreMetrics.Counter in
            if let c = table[key] { return c }
            let c = CoreMetrics.Counter(label: "ledger_rpc_requests_total", dimensions: [("method", name), ("code", String(code))],
                            factory: factory)
            table[key] = c
            return c
        }
        counter.increment()
    }

    private static let knownMethods: Set<String> =
        Set(RPCMethod.parameterOrder.keys).union(RPCMethod.webSocketOnly.keys).union(["invalid", "batch"])

    /// The Prometheus text exposition of every metric.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
