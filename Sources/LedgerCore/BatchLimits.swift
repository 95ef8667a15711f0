/// The size bounds a batch must meet, taken from the genesis consensus parameters.
public struct BatchLimits: Hashable, Sendable {
    /// Most transactions in one batch (never above `Limits.batchMaxTransactionsHardCap`).
    public var maxTransactions: Int
    /// Most bytes in one encoded batch (never above `Limits.batchMaxBytesHardCap`).
    public var maxBytes: Int

    /// Bounds clamped to the hard caps in `Limits`.
    public init(maxTransactions: Int, maxBytes: Int) {
        self.maxTransactions = min(max(maxTransactions, 0), Limits.batchMaxTransactionsHardCap)
        self.maxBytes = min(max(maxBytes, 0), Limits.batchMaxBytesHardCap)
    }

    /// The hard caps themselves.
    public static let hardCaps = BatchLimits(
        maxTransactions: Limits.batchMaxTransactionsHardCap, maxBytes: Limits.batchMaxBytesHardCap)
}
