import LedgerCrypto

/// The running hash of account state that every block header commits to.
///
/// - genesis: `H(enc(sorted initial accounts))`
/// - block n: `state_n = H(state_{n-1} ‖ H(enc(sorted accounts changed by block n)))`
///
/// where `enc(list)` is a 4-byte big-endian count followed by each account's encoding,
/// sorted by public key, and `H` is BLAKE2b-256. Replicas whose executions diverge get
/// different state hashes from that block on and notice at the next checkpoint.
public enum StateHash {
    /// `H(enc(list))` of `accounts` after sorting them by key.
    public static func digest(of accounts: [Account]) -> Digest {
        let sorted = accounts.sorted { $0.publicKey < $1.publicKey }
        var w = ByteWriter(capacity: 4 + sorted.count * Account.encodedSize)
        w.write(UInt32(truncatingIfNeeded: sorted.count))
        for account in sorted { account.encode(into: &w) }
        return Hash.blake2b256(w.bytes)
    }

    /// The state hash of a genesis with `accounts`.
    public static func genesis(accounts: [Account]) -> Digest {
        digest(of: accounts)
    }

    /// The state hash after a block that changed `changedAccounts`, given the one before it.
    public static func next(previous: Digest, changedAccounts: [Account]) -> Digest {
        var h = Hasher256()
        h.update(previous)
        h.update(digest(of: changedAccounts))
        return h.finalize()
    }
}
