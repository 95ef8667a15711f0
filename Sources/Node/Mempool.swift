import LedgerCore
import LedgerCrypto

/// Transactions admitted but not yet committed, in arrival order, deduplicated by hash and bounded.
/// Signatures are checked before a transaction gets here (off the driver actor); this type does the
/// stateful checks against committed accounts.
public struct Mempool: Sendable {
    /// Most transactions held.
    public let capacity: Int
    private var entries: [Digest: Entry] = [:]
    /// How many waiting transactions use each nonce, per sender (for the client nonce gate; a
    /// sender may have two conflicting transactions with one nonce waiting).
    private var nonces: [PublicKey: [UInt64: Int]] = [:]

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
    /// (the sender's committed state; nil = never seen). With `contiguousNonce` (client
    /// submissions) the nonce must also be the committed next one or follow a nonce waiting here
    /// for the same sender; gossip from other validators is not held to that, since the
    /// validator that took it from the client checked it and will not send it again.
    public mutating func admit(_ tx: Transaction, chainID: String, account: Account?, nowMs: UInt64,
                               contiguousNonce: Bool = false) throws(MempoolRejection) {
        guard tx.chainID == chainID else { throw .wrongChain(expected: chainID, found: tx.chainID) }
        guard entries[tx.hash] == nil else { throw .duplicate }
        let next = account?.nonce ?? 0
        guard tx.nonce >= next else { throw .nonceUsed(nonce: tx.nonce, next: next) }
        if contiguousNonce, tx.nonce != next, nonces[tx.sender]?[tx.nonce - 1] == nil {
            throw .nonceGap(nonce: tx.nonce, next: nextAcceptableNonce(tx.sender, committedNext: next))
        }
        let balance = account?.balance ?? 0
        guard balance >= tx.amount else { throw .insufficientBalance(balance: balance, amount: tx.amount) }
        guard entries.count < capacity else { throw .full(capacity: capacity) }
        entries[tx.hash] = Entry(transaction: tx, admittedAtMs: nowMs)
        nonces[tx.sender, default: [:]][tx.nonce, default: 0] += 1
    }

    /// The lowest nonce of `sender` at or above `committedNext` that nothing waiting here uses.
    public func nextAcceptableNonce(_ sender: PublicKey, committedNext: UInt64) -> UInt64 {
        guard let held = nonces[sender] else { return committedNext }
        var n = committedNext
        while held[n] != nil, n < UInt64.max { n += 1 }
        return n
    }

    /// Drops committed transactions.
    public mutating func remove(_ hashes: some Sequence<Digest>) {
        for h in hashes {
            guard let e = entries.removeValue(forKey: h) else { continue }
            let (sender, nonce) = (e.transaction.sender, e.transaction.nonce)
            guard let n = nonces[sender]?[nonce] else { continue }
            nonces[sender]?[nonce] = n > 1 ? n - 1 : nil
            if nonces[sender]?.isEmpty == true { nonces[sender] = nil }
        }
    }

    /// How long the oldest transaction has waited, ms (0 when empty).
    public func oldestWaitMs(nowMs: UInt64) -> UInt64 {
        guard let oldest = entries.values.map(\.admittedAtMs).min() else { return 0 }
        return nowMs >= oldest ? nowMs - oldest : 0
    }

    /// The waiting transaction with `hash`, if any.
    public func transaction(_ hash: Digest) -> Transaction? { entries[hash]?.transaction }

    /// The `limit` longest-waiting transactions, oldest first.
    public func oldest(limit: Int) -> [Transaction] {
        guard limit > 0 else { return [] }
        if limit >= entries.count { return transactions }
        // Partial selection: keep the `limit` smallest admission times without sorting everything.
        var best: [Entry] = []
        best.reserveCapacity(limit + 1)
        for e in entries.values {
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

    /// The waiting transactions (for re-proposal after a restart or view change).
    public var transactions: [Transaction] { entries.values.sorted { $0.admittedAtMs < $1.admittedAtMs }.map(\.transaction) }
}

extension MempoolRejection {
    /// A stable snake_case code for clients (RPC `data.reason`): "malformed", "wrong_chain", "bad_signature",
    /// "nonce_too_low", "insufficient_funds", "duplicate", "mempool_full", "shutting_down", and the two
    /// retryable ones "nonce_gap" and "busy".
    public var reasonCode: String {
        switch self {
        case .malformed: "malformed"
        case .wrongChain: "wrong_chain"
        case .badSignature: "bad_signature"
        case .nonceUsed: "nonce_too_low"
        case .insufficientBalance: "insufficient_funds"
        case .duplicate: "duplicate"
        case .full: "mempool_full"
        case .shuttingDown: "shutting_down"
        case .nonceGap: "nonce_gap"
        case .busy: "busy"
        }
    }

    /// Machine-readable details (UInt64 values as decimal strings), e.g. `[("expected","9"),("got","7")]`.
    public var details: [(String, String)] {
        switch self {
        case let .malformed(detail): [("detail", detail)]
        case let .wrongChain(expected, found): [("expected", expected), ("got", found)]
        case .badSignature, .duplicate, .shuttingDown: []
        case let .nonceUsed(nonce, next): [("expected", String(next)), ("got", String(nonce))]
        case let .insufficientBalance(balance, amount): [("balance", String(balance)), ("needed", String(amount))]
        case let .full(capacity): [("limit", String(capacity))]
        case let .nonceGap(nonce, next): [("expected", String(next)), ("got", String(nonce))]
        case let .busy(backlog, backlogLimit, waited, limit, retry):
            [("backlog", String(backlog)), ("backlog_limit", String(backlogLimit)), ("waited_ms", String(waited)),
             ("limit_ms", String(limit)), ("retry_after_ms", String(retry))]
        }
    }
}
