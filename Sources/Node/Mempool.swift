import LedgerCore
import LedgerCrypto
import Synchronization

/// Transactions admitted but not yet committed, deduplicated by hash and bounded, with an index
/// of each sender's waiting nonces.
///
/// Signatures are checked before a transaction is admitted here (off the driver actor); this type
/// does the stateful checks against committed accounts. It is shared behind a lock: the driver
/// admits and removes (its answer is the one that counts), and the RPC layer asks `check` first,
/// so that a client transaction that cannot succeed costs no signature check.
///
/// Client transactions (`fromClient`) must be able to succeed when they are admitted:
/// 1. amount 0 → `.zeroAmount` (also for gossip: no valid batch holds one);
/// 2. the same transaction waits → `.duplicate` (the RPC answer stays idempotent);
/// 3. the sender has no account → `.unknownSender`;
/// 4. the nonce is below the committed next one → `.nonceUsed`;
/// 5. another transaction with this (sender, nonce) waits → `.nonceTaken`;
/// 6. `senderCapacity` transactions of this sender wait → `.senderLimit` (retryable);
/// 7. the nonce is neither the committed next one nor one past a waiting one → `.nonceGap`;
/// 8. balance < amount + what the sender's waiting transactions may still spend
///    (`PendingSender.commitment`) → `.insufficientBalance`;
/// 9. `capacity` transactions wait → `.full`.
///
/// Gossip from other validators is held only to 1, 2, 4, the committed balance and 9: the validator
/// that took it from the client checked the rest against its own mempool, and refusing what
/// another validator holds would leave that validator waiting for a request no primary orders.
public final class Mempool: Sendable {
    /// Most transactions held.
    public let capacity: Int
    /// Most transactions of one sender held before its client transactions are refused.
    public let senderCapacity: Int
    private let state = Mutex(State())

    private struct State {
        var entries: [Digest: Entry] = [:]
        var senders: [PublicKey: PendingSender] = [:]
    }

    private struct Entry {
        var transaction: Transaction
        var admittedAtMs: UInt64
    }

    /// An empty mempool.
    public init(capacity: Int = NodeLimits.mempoolCapacity, senderCapacity: Int = NodeLimits.pendingTransactionsPerSender) {
        self.capacity = capacity
        self.senderCapacity = max(1, senderCapacity)
    }

    /// Number of waiting transactions.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Whether `hash` is waiting.
    public func contains(_ hash: Digest) -> Bool { state.withLock { $0.entries[hash] != nil } }

    /// The refusal `admit` would give `tx` now, or `nil`; changes nothing. `account` is the
    /// sender's committed state (nil = no account). Read the account before calling: then a
    /// block committed meanwhile can only make this answer more lenient than the truth, never
    /// stricter (its transactions' nonces fall below the account's, see `PendingSender.commitment`).
    public func check(_ tx: Transaction, chainID: String, account: Account?, fromClient: Bool) -> MempoolRejection? {
        state.withLock { s in refusal(tx, chainID: chainID, account: account, fromClient: fromClient, in: s) }
    }

    /// Admits `tx` (signature already verified) if it passes the rules above against `account`
    /// (the sender's committed state; nil = no account).
    public func admit(_ tx: Transaction, chainID: String, account: Account?, nowMs: UInt64,
                      fromClient: Bool = false) throws(MempoolRejection) {
        let refused = state.withLock { s -> MempoolRejection? in
            if let r = refusal(tx, chainID: chainID, account: account, fromClient: fromClient, in: s) { return r }
            s.entries[tx.hash] = Entry(transaction: tx, admittedAtMs: nowMs)
            s.senders[tx.sender, default: PendingSender()].insert(tx.hash, nonce: tx.nonce, amount: tx.amount)
            return nil
        }
        if let refused { throw refused }
    }

    private func refusal(_ tx: Transaction, chainID: String, account: Account?, fromClient: Bool, in s: State) -> MempoolRejection? {
        guard tx.chainID == chainID else { return .wrongChain(expected: chainID, found: tx.chainID) }
        guard tx.amount > 0 else { return .zeroAmount }
        guard s.entries[tx.hash] == nil else { return .duplicate }
        let pending = s.senders[tx.sender]
        if fromClient {
            guard let account else { return .unknownSender }
            guard tx.nonce >= account.nonce else { return .nonceUsed(nonce: tx.nonce, next: account.nonce) }
            if let other = pending?.other(than: tx.hash, at: tx.nonce) { return .nonceTaken(nonce: tx.nonce, pending: other) }
            let waiting = pending?.count ?? 0
            if waiting >= senderCapacity {
                return .senderLimit(pending: waiting, limit: senderCapacity, retryAfterMs: NodeLimits.busyRetryAfterMs)
            }
            if tx.nonce != account.nonce, pending?.holds(tx.nonce - 1) != true {
                return .nonceGap(nonce: tx.nonce, next: pending?.nextAcceptableNonce(committedNext: account.nonce) ?? account.nonce)
            }
            let committed = pending?.commitment(from: account.nonce) ?? 0
            let (needed, overflow) = tx.amount.addingReportingOverflow(committed)
            guard !overflow, account.balance >= needed else {
                return .insufficientBalance(balance: account.balance, amount: tx.amount, pending: committed)
            }
        } else {
            let next = account?.nonce ?? 0
            guard tx.nonce >= next else { return .nonceUsed(nonce: tx.nonce, next: next) }
            let balance = account?.balance ?? 0
            guard balance >= tx.amount else { return .insufficientBalance(balance: balance, amount: tx.amount) }
        }
        guard s.entries.count < capacity else { return .full(capacity: capacity) }
        return nil
    }

    /// The lowest nonce of `sender` at or above `committedNext` that nothing waiting here uses.
    public func nextAcceptableNonce(_ sender: PublicKey, committedNext: UInt64) -> UInt64 {
        state.withLock { $0.senders[sender]?.nextAcceptableNonce(committedNext: committedNext) ?? committedNext }
    }

    /// Drops committed transactions.
    public func remove(_ hashes: some Sequence<Digest>) {
        state.withLock { s in
            for h in hashes {
                guard let e = s.entries.removeValue(forKey: h) else { continue }
                let (sender, nonce) = (e.transaction.sender, e.transaction.nonce)
                s.senders[sender]?.remove(h, nonce: nonce)
                if s.senders[sender]?.isEmpty == true { s.senders[sender] = nil }
            }
        }
    }

    /// How long the oldest transaction has waited, ms (0 when empty).
    public func oldestWaitMs(nowMs: UInt64) -> UInt64 {
        guard let oldest = state.withLock({ $0.entries.values.map(\.admittedAtMs).min() }) else { return 0 }
        return nowMs >= oldest ? nowMs - oldest : 0
    }

    /// The waiting transaction with `hash`, if any.
    public func transaction(_ hash: Digest) -> Transaction? { state.withLock { $0.entries[hash]?.transaction } }

    /// The `limit` longest-waiting transactions, oldest first.
    public func oldest(limit: Int) -> [Transaction] {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            if limit >= s.entries.count { return Self.sorted(s.entries.values) }
            // Partial selection: keep the `limit` smallest admission times without sorting everything.
            var best: [Entry] = []
            best.reserveCapacity(limit + 1)
            for e in s.entries.values {
                if best.count < limit {
                    best.append(e)
                    if best.count == limit { best.sort { $0.admittedAtMs < $1.admittedAtMs } }
                } else if e.admittedAtMs < best[limit - 1].admittedAtMs {
                    let at = best.firstIndex { $0.admittedAtMs > e.admittedAtMs } ?? limit - 1
                    best.insert(e, at: at)
                    best.removeLast()
                }
            }
            return best.map(\.transaction)
        }
    }

    /// Up to `limit` transactions admitted at or before `ms` (any order).
    public func admitted(atOrBefore ms: UInt64, limit: Int) -> [Transaction] {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            Array(s.entries.values.lazy.filter { $0.admittedAtMs <= ms }.prefix(limit).map(\.transaction))
        }
    }

    private static func sorted(_ entries: some Collection<Entry>) -> [Transaction] {
        entries.sorted { $0.admittedAtMs < $1.admittedAtMs }.map(\.transaction)
    }
}
