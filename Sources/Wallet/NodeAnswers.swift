// Plain-value answers of the node (text, not Address/Digest: see the note in WalletNode.swift).
import LedgerJSON


/// An account as the node reports it.
public struct AccountInfo: Equatable, Sendable {
    /// The address asked for (`ldg1…`).
    public var address: String
    /// Spendable balance.
    public var balance: UInt64
    /// The next nonce the ledger expects from this account.
    public var nonce: UInt64
}

/// Where a transaction stands, as far as the node knows.
public struct TransactionOutcome: Equatable, Sendable {
    /// The transaction hash (hex).
    public var hash: String
    /// "pending", "committed", "failed" or "unknown".
    public var status: String
    /// Inclusion height, once committed.
    public var height: UInt64?
    /// Position in the block, once committed.
    public var index: Int?
    /// Why the receipt failed (for "failed").
    public var reason: String?
    /// The node's full answer (for `--json`).
    public var raw: JSONValue

    /// `true` once the transaction is in a block (successfully or not).
    public var isFinal: Bool { status == "committed" || status == "failed" }
}
