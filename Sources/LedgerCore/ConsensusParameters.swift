/// The consensus settings every validator must share (part of the genesis hash).
public struct ConsensusParameters: Hashable, Sendable {
    /// Most transactions per batch (1...`Limits.batchMaxTransactionsHardCap`).
    public var maxBatchTransactions: Int
    /// Most bytes per encoded batch; must fit at least one largest transaction.
    public var maxBatchBytes: Int
    /// How long the primary waits to fill a batch once one transaction is pending, in ms.
    public var batchDelayMs: UInt64
    /// A checkpoint every this many blocks.
    public var checkpointInterval: UInt64
    /// How many sequence numbers may be in flight above the low watermark (a multiple of
    /// `checkpointInterval`, at least twice it).
    public var window: UInt64
    /// Initial view-change timeout in ms (doubles per failed view).
    public var viewChangeTimeoutMs: UInt64
    /// How far a batch timestamp may be ahead of a backup's clock, in ms.
    public var maxClockDriftMs: UInt64

    /// Parameters with the given values (checked when the `Genesis` is built).
    public init(
        maxBatchTransactions: Int, maxBatchBytes: Int, batchDelayMs: UInt64, checkpointInterval: UInt64,
        window: UInt64, viewChangeTimeoutMs: UInt64, maxClockDriftMs: UInt64
    ) {
        self.maxBatchTransactions = maxBatchTransactions
        self.maxBatchBytes = maxBatchBytes
        self.batchDelayMs = batchDelayMs
        self.checkpointInterval = checkpointInterval
        self.window = window
        self.viewChangeTimeoutMs = viewChangeTimeoutMs
        self.maxClockDriftMs = maxClockDriftMs
    }

    /// Reasonable values for a local test network.
    public static let testDefaults = ConsensusParameters(
        maxBatchTransactions: 1_000, maxBatchBytes: 1_048_576, batchDelayMs: 20, checkpointInterval: 100,
        window: 400, viewChangeTimeoutMs: 2_000, maxClockDriftMs: 5_000)

    /// The batch bounds these parameters set.
    public var batchLimits: BatchLimits {
        BatchLimits(maxTransactions: maxBatchTransactions, maxBytes: maxBatchBytes)
    }

    /// Throws the first parameter that is out of range.
    public func validate() throws(GenesisError) {
        func check(_ name: String, _ value: UInt64, _ ok: Bool, _ requirement: String) throws(GenesisError) {
            if !ok { throw .invalidConsensusParameter(name: name, value: value, requirement: requirement) }
        }
        let txs = UInt64(clamping: maxBatchTransactions)
        try check(
            "max_batch_txs", txs, maxBatchTransactions >= 1 && maxBatchTransactions <= Limits.batchMaxTransactionsHardCap,
            "between 1 and \(Limits.batchMaxTransactionsHardCap)")
        let minBytes = Limits.batchHeaderBytes + Limits.transactionMaxBytes
        try check(
            "max_batch_bytes", UInt64(clamping: maxBatchBytes),
            maxBatchBytes >= minBytes && maxBatchBytes <= Limits.batchMaxBytesHardCap,
            "between \(minBytes) (one largest transaction) and \(Limits.batchMaxBytesHardCap)")
        try check(
            "batch_delay_ms", batchDelayMs, batchDelayMs >= 1 && batchDelayMs <= Limits.batchDelayMaxMs,
            "between 1 and \(Limits.batchDelayMaxMs)")
        try check(
            "checkpoint_interval", checkpointInterval,
            checkpointInterval >= 1 && checkpointInterval <= Limits.checkpointIntervalMax,
            "between 1 and \(Limits.checkpointIntervalMax)")
        try check(
            "window", window,
            window <= Limits.windowMax && window % checkpointInterval == 0 && window / checkpointInterval >= 2,
            "a multiple of checkpoint_interval (\(checkpointInterval)), at least twice it, and at most \(Limits.windowMax)")
        try check(
            "view_change_timeout_ms", viewChangeTimeoutMs,
            viewChangeTimeoutMs > batchDelayMs && viewChangeTimeoutMs <= Limits.viewChangeTimeoutMaxMs,
            "greater than batch_delay_ms (\(batchDelayMs)) and at most \(Limits.viewChangeTimeoutMaxMs)")
        try check(
            "max_clock_drift_ms", maxClockDriftMs, maxClockDriftMs >= 1 && maxClockDriftMs <= Limits.clockDriftMaxMs,
            "between 1 and \(Limits.clockDriftMaxMs)")
    }
}
