import LedgerCrypto

/// One sender's transactions waiting in the mempool, by nonce: what the per-sender admission
/// rules read (a nonce already taken, the per-sender cap, the nonce gate) and what the sender's
/// waiting transactions may still spend.
struct PendingSender: Sendable {
    /// Waiting transactions per nonce (hash → amount). More than one at a nonce only when gossip
    /// brought a conflicting one (another validator took it from the client first).
    private(set) var byNonce: [UInt64: [Digest: UInt64]] = [:]
    /// Waiting transactions of this sender.
    private(set) var count = 0

    /// Whether nothing of this sender waits.
    var isEmpty: Bool { count == 0 }

    /// Whether a transaction with `nonce` waits.
    func holds(_ nonce: UInt64) -> Bool { byNonce[nonce] != nil }

    /// A waiting transaction with `nonce` other than `hash` (the lowest hash, so the answer does
    /// not depend on dictionary order), or `nil`.
    func other(than hash: Digest, at nonce: UInt64) -> Digest? {
        byNonce[nonce]?.keys.filter { $0 != hash }.min()
    }

    /// What the waiting transactions with a nonce at or above `committedNext` may still spend:
    /// per nonce the largest amount, since at most one transaction per (sender, nonce) can
    /// execute. Those below `committedNext` are committed (their debit is in the balance already)
    /// or can never execute, so they are not counted twice. Saturates at `UInt64.max`.
    func commitment(from committedNext: UInt64) -> UInt64 {
        var total: UInt64 = 0
        for (nonce, amounts) in byNonce where nonce >= committedNext {
            let (sum, overflow) = total.addingReportingOverflow(amounts.values.max() ?? 0)
            if overflow { return .max }
            total = sum
        }
        return total
    }

    /// The lowest nonce at or above `committedNext` that no waiting transaction uses.
    func nextAcceptableNonce(committedNext: UInt64) -> UInt64 {
        var n = committedNext
        while byNonce[n] != nil, n < UInt64.max { n += 1 }
        return n
    }

    /// Adds a waiting transaction.
    mutating func insert(_ hash: Digest, nonce: UInt64, amount: UInt64) {
        if byNonce[nonce, default: [:]].updateValue(amount, forKey: hash) == nil { count += 1 }
    }

    /// Removes a waiting transaction.
    mutating func remove(_ hash: Digest, nonce: UInt64) {
        guard byNonce[nonce]?.removeValue(forKey: hash) != nil else { return }
        count -= 1
        if byNonce[nonce]?.isEmpty == true { byNonce[nonce] = nil }
    }
}
