/// Every bound the store enforces, in one place.
public enum StoreLimits {
    /// Most block headers returned by one `headers(from:count:)` call.
    public static let headersPerCallMax = 1_000
    /// Most transactions returned by one page of `transactions(sender:…)` / `transactions(recipient:…)`.
    public static let transactionsPerPageMax = 1_000
    /// Most consensus-log records appended in one call.
    public static let consensusLogAppendMax = 10_000
    /// Bits of a transaction's row id used for its index in the block; the height fills the rest.
    /// 2^20 is far above `Limits.batchMaxTransactionsHardCap`.
    static let transactionIndexBits: UInt64 = 20
    /// Highest height whose transactions can be addressed by a row id (2^43 - 1).
    static let heightMax: UInt64 = (1 << (63 - transactionIndexBits)) - 1
    /// Prepared statements kept per connection.
    static let statementCacheMax = 64
}
