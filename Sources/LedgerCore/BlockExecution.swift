/// The result of executing one batch: the new block and the accounts it changed.
public struct BlockExecution: Hashable, Sendable {
    /// The block, with its header, transactions and receipts.
    public let block: Block
    /// The final state of every account the block changed, sorted by public key.
    public let changedAccounts: [Account]
    /// The membership after the block (a change accepted, or the next epoch begun at its boundary).
    public let membership: Membership

    /// An execution result from its parts.
    public init(block: Block, changedAccounts: [Account], membership: Membership) {
        self.block = block
        self.changedAccounts = changedAccounts
        self.membership = membership
    }

    /// One receipt per transaction (the block's receipts).
    public var receipts: [Receipt] { block.receipts }
}
