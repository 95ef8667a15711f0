import LedgerCore

/// A committed transaction with its receipt and position in the chain.
public struct StoredTransaction: Hashable, Sendable {
    /// The transaction as signed.
    public var transaction: Transaction
    /// Its receipt (success or why it changed nothing).
    public var receipt: Receipt
    /// The height of the block that holds it.
    public var height: Height
    /// Its index in that block.
    public var index: UInt32

    /// A stored transaction from its parts.
    public init(transaction: Transaction, receipt: Receipt, height: Height, index: UInt32) {
        self.transaction = transaction
        self.receipt = receipt
        self.height = height
        self.index = index
    }

    /// Where it sits in the chain; pass it as `before` to get the next (older) page.
    public var position: TransactionPosition { TransactionPosition(height: height, index: index) }
}

/// A transaction's place in the chain, ordered by height then index; used as a paging cursor.
public struct TransactionPosition: Hashable, Comparable, Sendable {
    /// The block height.
    public var height: Height
    /// The index in the block.
    public var index: UInt32

    /// A position from its parts.
    public init(height: Height, index: UInt32) {
        self.height = height
        self.index = index
    }

    /// Earlier in the chain: lower height, or the same height and a lower index.
    public static func < (a: TransactionPosition, b: TransactionPosition) -> Bool {
        (a.height, a.index) < (b.height, b.index)
    }
}
