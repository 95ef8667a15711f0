import LedgerCrypto

/// Why a backup refuses a batch proposed by the primary (see `Batch.validate`).
public enum BatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The batch has `count` transactions; the chain allows at most `maximum` per batch.
    case tooManyTransactions(count: Int, maximum: Int)
    /// The encoded batch is `bytes` bytes; the chain allows at most `maximum`.
    case tooLarge(bytes: Int, maximum: Int)
    /// Transaction `index` (hash `txHash`) names chain `found`, not this chain `expected`.
    case wrongChainID(index: Int, txHash: Digest, expected: String, found: String)
    /// Transaction `index` repeats transaction `firstIndex` (same hash `txHash`).
    case duplicateTransaction(index: Int, firstIndex: Int, txHash: Digest)
    /// Transaction `index` (hash `txHash`) is not signed by its sender.
    case invalidSignature(index: Int, txHash: Digest)
    /// Transaction `index` (hash `txHash`) transfers 0, which no client may submit.
    case zeroAmount(index: Int, txHash: Digest)
    /// Transaction `index` (hash `txHash`) has the sender and nonce of transaction `firstIndex`:
    /// at most one of them could succeed, and no honest primary puts both in one batch.
    case duplicateSenderNonce(index: Int, firstIndex: Int, nonce: UInt64, txHash: Digest)
    /// The batch holds `count` validator-set changes; at most `maximum` fit in one.
    case tooManyChanges(count: Int, maximum: Int)
    /// The batch's validator-set change names chain `found`, not this chain `expected`.
    case changeWrongChainID(expected: String, found: String)

    /// A message saying what is wrong and how to fix it.
    public var description: String {
        switch self {
        case let .tooManyTransactions(count, maximum):
            return "batch has \(count) transactions; at most \(maximum) are allowed"
        case let .tooLarge(bytes, maximum):
            return "batch is \(bytes) bytes; at most \(maximum) are allowed"
        case let .wrongChainID(index, txHash, expected, found):
            return "transaction \(index) (\(txHash)) is for chain '\(found)', not '\(expected)'"
        case let .duplicateTransaction(index, firstIndex, txHash):
            return "transaction \(index) (\(txHash)) duplicates transaction \(firstIndex)"
        case let .invalidSignature(index, txHash):
            return "transaction \(index) (\(txHash)) has an invalid signature"
        case let .zeroAmount(index, txHash):
            return "transaction \(index) (\(txHash)) transfers 0"
        case let .duplicateSenderNonce(index, firstIndex, nonce, txHash):
            return "transaction \(index) (\(txHash)) repeats the sender and nonce \(nonce) of transaction \(firstIndex)"
        case let .tooManyChanges(count, maximum):
            return "batch has \(count) validator-set changes; at most \(maximum) is allowed"
        case let .changeWrongChainID(expected, found):
            return "the batch's validator-set change is for chain '\(found)', not '\(expected)'"
        }
    }
}
