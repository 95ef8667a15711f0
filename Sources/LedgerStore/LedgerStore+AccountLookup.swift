import LedgerCore
import LedgerCrypto

extension LedgerStore: AccountLookup {
    /// The committed account with `key` (reads the database each call).
    ///
    /// `AccountLookup` cannot throw, so a database failure here stops the process rather than
    /// answer "no such account" and let this replica diverge. Where the caller can handle errors,
    /// prefer `accounts(for:)` (one snapshot, throwing) or `loadAccount(_:)`.
    public func account(_ key: PublicKey) -> Account? {
        do {
            return try loadAccount(key)
        } catch {
            fatalError("ledger store read failed during execution (fail-stop to avoid divergence): \(error)")
        }
    }
}
