import LedgerCore
import LedgerCrypto

/// Transactions admitted but not yet committed, in arrival order, deduplicated by hash and bounded.
/// Signatures are checked before a transaction gets here (off the driver actor); this type does the
/// stateful checks against committed accounts.
public struct Mempool: Sendable {
    /// Most transactions held.
    public let capacity: Int
    private var entries: [Digest: Entry] = [:]

    struct Entry: Sendable {
        var transaction: Transaction
        var admittedAtMs: UInt64
    }

    /// An empty mempool.
    public init(capacity: Int = NodeLimits.mempoolCapacity) { self.capacity = capacity }

    /// Number of waiting transactions.
    public var count: Int { entries.count }

    /// Whether `hash` is waiting.
    public func contains(_ hash: Digest) -> Bool { entries[hash] != nil }

    /// Admits `tx` (signature already verified) if it passes the stateful checks against `account`
    /// (the sender's committed state; nil = never seen).
    public mutating func admit(_ tx: Transaction, chainID: String, account: Account?, nowMs: UInt64) throws(MempoolRejection) {
        guard tx.chainID == chainID else { throw .wrongChain(expected: chainID, found: tx.chainID) }
        guard entries[tx.hash] == nil else { throw .duplicate }
        let next = account?.nonce ?? 0
        guard tx.nonce >= next else { throw .nonceUsed(nonce: tx.nonce, next: next) }
        let balance = account?.balance ?? 0
        guard balance >= tx.amount else { throw .insufficientBalance(balance: balance, amount: tx.amount) }
        guard entries.count < capacity else { throw .full(capacity: capacity) }
        entries[tx.hash] = Entry(transaction: tx, admittedAtMs: nowMs)
    }

    /// Drops committed transactions.
    public mutating func remove(_ hashes: some Sequence<Digest>) {
        for h in hashes { entries[h] = nil }
    }

    /// How long the oldest transaction has waited, ms (0 when empty).
    public func oldestWaitMs(nowMs: UInt64) -> UInt64 {
        guard let oldest = entries.values.map(\.admittedAtMs).min() else { return 0 }
        return nowMs >= oldest ? nowMs - oldest : 0
    }

    /// The waiting transactions (for re-proposal after a restart or view change).
    public var transactions: [Transaction] { entries.values.sorted { $0.admittedAtMs < $1.admittedAtMs }.map(\.transaction) }
}
