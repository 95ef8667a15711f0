import Foundation
import LedgerJSON

/// Turns the node's -32010 rejections into errors with the facts a user needs.
public enum RejectionMapping {
    /// Maps by `data.reason` (contract of docs/rpc.md) and, for nodes that send no data, by the message text.
    public static func walletError(for e: RPCServerError, sender: String, amount: UInt64) -> WalletError {
        let reason = e.reason ?? inferredReason(e.message)
        switch reason {
        case "insufficient_funds":
            let balance = e.data?["balance"]?.uint64Value ?? number(after: "balance ", in: e.message) ?? 0
            let needed = e.data?["needed"]?.uint64Value ?? amount
            return .insufficientFunds(address: sender, balance: balance, amount: needed)
        case "nonce_too_low":
            var detail = "nonce already used"
            if let got = e.data?["got"]?.stringValue, let expected = e.data?["expected"]?.stringValue {
                detail = "nonce \(got) already used; next is \(expected)"
            } else if e.data == nil {
                detail = e.message.hasPrefix("transaction rejected: ") ? String(e.message.dropFirst(22)) : e.message
            }
            return .nonceRace(address: sender, detail: detail)
        case "nonce_taken":
            var detail = "another transaction with this nonce is waiting"
            if let got = e.data?["got"]?.stringValue, let pending = e.data?["pending_tx"]?.stringValue {
                detail = "nonce \(got) is taken by waiting transaction \(pending)"
            }
            return .nonceRace(address: sender, detail: detail)
        case "unknown_sender":
            // A key that never received anything: the clearest words are its balance, 0.
            return .insufficientFunds(address: sender, balance: 0, amount: amount)
        default:
            return .rejected(reason: reason, message: e.message)
        }
    }

    /// How long to wait before resending after `e`, ms, or `nil` when `e` is final (among them
    /// "zero_amount", "unknown_sender", "nonce_taken", "insufficient_funds"). "busy", "nonce_gap"
    /// and "sender_limit" are the node's "not now": wait the larger of the node's suggestion
    /// (capped at 5 s, it comes from the network) and `backoffMs`.
    public static func retryDelayMs(for e: RPCServerError, backoffMs: UInt64) -> UInt64? {
        switch e.reason {
        case "busy", "nonce_gap", "sender_limit":
            let suggested = e.data?["retry_after_ms"]?.uint64Value ?? 0
            return max(min(suggested, 5_000), backoffMs)
        default:
            return nil
        }
    }

    /// The reason a message-only rejection stands for (nodes predating `data.reason`).
    static func inferredReason(_ message: String) -> String {
        if message.contains("already used; next is") { return "nonce_too_low" }
        if message.contains("cannot pay") || message.contains("insufficient") { return "insufficient_funds" }
        if message.contains("signature") { return "bad_signature" }
        if message.contains("chain") { return "wrong_chain" }
        if message.contains("mempool full") { return "mempool_full" }
        return "rejected"
    }

    private static func number(after marker: String, in text: String) -> UInt64? {
        guard let r = text.range(of: marker) else { return nil }
        let digits = text[r.upperBound...].prefix { $0.isNumber }
        return DecimalParser.uint64(String(digits))
    }
}
