/// Every bound and default of the load generator, in one place.
public enum BenchLimits {
    /// Most transactions signed before a run (memory: ~200 bytes each plus bookkeeping).
    public static let maxPresigned = 2_000_000
    /// Longest load phase a run accepts, s.
    public static let maxDurationSeconds = 600.0
    /// Calls per JSON-RPC batch request: the server's `RPCLimits.maxBatchCalls`.
    public static let maxCallsPerBatch = 32
    /// Batch requests in flight on one keep-alive connection (HTTP/1.1 pipelining) before the sender waits.
    public static let maxBatchesInFlightPerConnection = 8
    /// Time one batch request may take before its connection is given up, ms.
    public static let requestTimeoutMs: Int64 = 10_000
    /// Time to open a TCP connection or finish a WebSocket upgrade, ms.
    public static let connectTimeoutMs: Int64 = 3_000
    /// How often the scheduler hands due transactions to connections, ms.
    public static let tickMs: Int64 = 5
    /// How often node CPU and RSS are sampled, ms (also the recovery window).
    public static let sampleMs: Int64 = 250
    /// Share of a load phase discarded at its start.
    public static let warmupFraction = 0.2
    /// Share of a load phase discarded at its end.
    public static let cooldownFraction = 0.1
    /// Longest wait after a phase for the accepted transactions to commit, s.
    public static let drainTimeoutSeconds = 30.0
    /// Largest WebSocket frame accepted from a node (a block notification of 1,000 transactions is ~0.5 MiB).
    public static let maxWebSocketFrameBytes = 32 * 1024 * 1024
    /// Largest HTTP response body accepted (a batch response of 32 results is a few KiB).
    public static let maxResponseBytes = 4 * 1024 * 1024
    /// Recovery: committed throughput per window must be back to this share of the pre-kill rate.
    public static let recoveredShare = 0.9
    /// Sweep: the p99 latency a rate must stay under to count as sustained, ms.
    public static let sweepP99BudgetMs = 250.0
}
