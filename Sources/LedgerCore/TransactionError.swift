/// Why a transaction could not be built from the given fields.
public enum TransactionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The chain id breaks the chain-id rules (see `ChainID`); `reason` says how.
    case invalidChainID(reason: String)
    /// The memo has `count` bytes; at most `maximum` are allowed.
    case memoTooLong(count: Int, maximum: Int)

    /// A message saying what is wrong and how to fix it.
    public var description: String {
        switch self {
        case let .invalidChainID(reason): return "invalid chain id: \(reason)"
        case let .memoTooLong(count, maximum): return "memo is \(count) bytes; at most \(maximum) are allowed"
        }
    }
}
