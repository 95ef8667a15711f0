import LedgerCrypto

/// Read access to account state, as the state-transition function needs it.
///
/// Implemented by the in-memory `AccountState` and by the SQLite store.
public protocol AccountLookup {
    /// The account with `key`, or `nil` if it has never received anything.
    func account(_ key: PublicKey) -> Account?
}
