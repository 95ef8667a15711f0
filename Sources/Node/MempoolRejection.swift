import LedgerCrypto

/// Why the mempool refused a transaction (shown to the client over RPC).
public enum MempoolRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not one canonical signed transaction.
    case malformed(String)
    /// The transaction names another chain.
    case wrongChain(expected: String, found: String)
    /// The signature does not verify against the sender key.
    case badSignature
    /// The nonce was already used by a committed transaction.
    case nonceUsed(nonce: UInt64, next: UInt64)
    /// The sender's committed `balance` cannot pay `amount` on top of the `pending` its waiting
    /// transactions may still spend.
    case insufficientBalance(balance: UInt64, amount: UInt64, pending: UInt64 = 0)
    /// The same transaction is already waiting.
    case duplicate
    /// Too many transactions are waiting.
    case full(capacity: Int)
    /// The node is shutting down.
    case shuttingDown
    /// The node could not read its ledger database to check the transaction (`detail` says why); nothing was
    /// taken. Not the transaction's fault: RPC answers it as an internal error (-32603), retryable.
    case storeUnavailable(String)
    /// A client transaction whose nonce is ahead of the sender's next acceptable one here: neither
    /// the committed next nonce nor one past a nonce this node holds for the sender. Admitting it
    /// would order it ahead of its predecessor, where it can only fail. Retryable: the missing
    /// nonces may be on their way (gossip from another node, a retry of a refused predecessor).
    case nonceGap(nonce: UInt64, next: UInt64)
    /// The node is not taking client transactions for now (`AdmissionControl`): `backlog`
    /// transactions wait here, at or past `backlogLimit` (what the recent commit rate clears in
    /// `limitMs`), or the oldest request it holds has waited `waitedMs` to be ordered, past
    /// `limitMs`. Retryable after `retryAfterMs`. Gossip from other validators is still taken.
    case busy(backlog: Int, backlogLimit: Int, waitedMs: UInt64, limitMs: UInt64, retryAfterMs: UInt64)
    /// The node is changing to `view` and cannot have client transactions ordered until it is
    /// installed (or it finds its view change was lone and goes back). Answered as "busy":
    /// retryable after `retryAfterMs`, or send to another node. Gossip is still taken.
    case changingView(view: UInt64, retryAfterMs: UInt64)
    /// The transaction transfers 0: it could only move the sender's nonce. Final.
    case zeroAmount
    /// The sender has no account (it never received anything), so it cannot pay. Final.
    case unknownSender
    /// Another transaction with this sender and `nonce` waits here (`pending`); at most one of
    /// them can succeed. Final: wait for it to commit, then use the next nonce.
    case nonceTaken(nonce: UInt64, pending: Digest)
    /// `pending` transactions of this sender wait here, the most one sender may have
    /// (`NodeLimits.pendingTransactionsPerSender`). Retryable after `retryAfterMs`, once some commit.
    case senderLimit(pending: Int, limit: Int, retryAfterMs: UInt64)

    public var description: String {
        switch self {
        case let .malformed(s): "malformed transaction: \(s)"
        case let .wrongChain(e, f): "transaction is for chain '\(f)'; this node runs '\(e)'"
        case .badSignature: "signature does not verify for the sender key"
        case let .nonceUsed(n, next): "nonce \(n) already used; next is \(next)"
        case let .insufficientBalance(b, a, 0): "sender balance \(b) cannot pay \(a)"
        case let .insufficientBalance(b, a, p):
            "sender balance \(b) cannot pay \(a) on top of the \(p) its waiting transactions may still spend"
        case .duplicate: "transaction already in the mempool"
        case let .full(c): "mempool full (\(c) transactions waiting); retry later"
        case .shuttingDown: "node is shutting down; send it to another node"
        case let .storeUnavailable(d): "the node cannot read its ledger database (\(d)); retry, or send the transaction to another node"
        case let .nonceGap(n, next): "nonce \(n) is ahead of this sender's next acceptable nonce \(next) here; submit the missing nonces first, or retry"
        case let .busy(backlog, backlogLimit, waited, limit, retry):
            "node is busy: \(backlog) transactions wait here (limit \(backlogLimit) at the recent commit rate) and the oldest "
                + "unordered request has waited \(waited) ms (limit \(limit) ms); retry in \(retry) ms"
        case let .changingView(view, retry):
            "node is changing to view \(view) and cannot have transactions ordered until it is installed; retry in \(retry) ms or send to another node"
        case .zeroAmount: "amount is 0; a transfer must move at least 1"
        case .unknownSender: "the sender has no account; it must receive funds before it can send"
        case let .nonceTaken(n, pending):
            "nonce \(n) is taken by waiting transaction \(pending.hex); wait for it to commit, then use the next nonce"
        case let .senderLimit(pending, limit, retry):
            "\(pending) transactions of this sender wait here (limit \(limit)); retry in \(retry) ms, once some have committed"
        }
    }
}

extension MempoolRejection {
    /// A stable snake_case code for clients (RPC `data.reason`): "malformed", "wrong_chain", "bad_signature",
    /// "nonce_too_low", "insufficient_funds", "duplicate", "mempool_full", "shutting_down", the final
    /// "zero_amount", "unknown_sender" and "nonce_taken", and the retryable "nonce_gap", "busy" and
    /// "sender_limit".
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
        case .storeUnavailable: "store_unavailable"
        case .nonceGap: "nonce_gap"
        case .busy, .changingView: "busy"
        case .zeroAmount: "zero_amount"
        case .unknownSender: "unknown_sender"
        case .nonceTaken: "nonce_taken"
        case .senderLimit: "sender_limit"
        }
    }

    /// Machine-readable details (UInt64 values as decimal strings), e.g. `[("expected","9"),("got","7")]`.
    public var details: [(String, String)] {
        switch self {
        case let .malformed(detail), let .storeUnavailable(detail): [("detail", detail)]
        case let .wrongChain(expected, found): [("expected", expected), ("got", found)]
        case .badSignature, .duplicate, .shuttingDown, .zeroAmount, .unknownSender: []
        case let .nonceUsed(nonce, next): [("expected", String(next)), ("got", String(nonce))]
        case let .insufficientBalance(balance, amount, pending):
            pending == 0 ? [("balance", String(balance)), ("needed", String(amount))]
                : [("balance", String(balance)), ("needed", String(Self.saturatingSum(amount, pending))), ("pending", String(pending))]
        case let .nonceTaken(nonce, pending): [("got", String(nonce)), ("pending_tx", pending.hex)]
        case let .senderLimit(pending, limit, retry):
            [("pending", String(pending)), ("limit", String(limit)), ("retry_after_ms", String(retry))]
        case let .full(capacity): [("limit", String(capacity))]
        case let .nonceGap(nonce, next): [("expected", String(next)), ("got", String(nonce))]
        case let .busy(backlog, backlogLimit, waited, limit, retry):
            [("backlog", String(backlog)), ("backlog_limit", String(backlogLimit)), ("waited_ms", String(waited)),
             ("limit_ms", String(limit)), ("retry_after_ms", String(retry))]
        case let .changingView(view, retry): [("changing_to_view", String(view)), ("retry_after_ms", String(retry))]
        }
    }

    static func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
