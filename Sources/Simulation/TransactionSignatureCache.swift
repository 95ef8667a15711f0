import LedgerCore
import LedgerCrypto
import Synchronization

/// Remembers, per run, whether each transaction's Ed25519 signature is valid, so each
/// distinct transaction is verified once however many replicas and messages carry it.
///
/// A run is single-threaded, but the verifier's batch check must be `@Sendable`, so the map
/// sits behind a `Mutex` (uncontended: cheap).
public final class TransactionSignatureCache: Sendable {
    private let results = Mutex<[Digest: Bool]>([:])

    /// An empty cache.
    public init() {}

    /// `true` if `transaction`'s signature is valid (verified on first sight only).
    public func isValid(_ transaction: Transaction) -> Bool {
        if let known = results.withLock({ $0[transaction.hash] }) { return known }
        let valid = transaction.hasValidSignature
        results.withLock { $0[transaction.hash] = valid }
        return valid
    }

    /// `true` if `hash` was verified and found valid (for `Batch.validate(isKnownValid:)`).
    public func isKnownValid(_ hash: Digest) -> Bool {
        results.withLock { $0[hash] } == true
    }

    /// Number of distinct transactions verified.
    public var count: Int { results.withLock { $0.count } }
}
