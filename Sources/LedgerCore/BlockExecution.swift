/// The result of executing one batch: the new block and the accounts it changed.
public struct BlockExecution: Hashable, Sendable {
    /// The block, with its header, transactions and receipts.
    public let block: Block
    /// The final state of every account the block changed, sorted by public key.
    public let changedAccounts: [Account]

    /// An execution result from its parts.
    public init(block: Block, changedAccounts: [Account]) {
        self.block = block
        self.changedAccounts = changedAccounts
    }

    /// One receipt per transaction (the block's receipts).
    public var receipts: [Receipt] { block.receipts }
}
