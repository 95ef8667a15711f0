import LedgerCrypto

/// What a client or an operator asks the chain to order: a transfer, or a validator-set change.
/// PBFT orders these (`Batch.requests`); a batch keeps its transfers and its change apart
/// (`Batch.transactions`, `Batch.changes`), the change after the transfers.
public enum LedgerRequest: Hashable, Sendable {
    /// A signed transfer.
    case transfer(Transaction)
    /// A validator-set change with its approvals.
    case validatorSetChange(ValidatorSetChange)

    /// The request's identity: the transaction hash, or the change's hash (approvals included).
    public var hash: Digest {
        switch self {
        case let .transfer(tx): tx.hash
        case let .validatorSetChange(change): change.hash
        }
    }

    /// Its size inside an encoded batch, in bytes (a change also costs the batch's change count byte).
    public var encodedSize: Int {
        switch self {
        case let .transfer(tx): tx.encodedSize
        case let .validatorSetChange(change): 1 + change.encodedSize
        }
    }

    /// The transfer, if this is one.
    public var transfer: Transaction? {
        if case let .transfer(tx) = self { return tx }
        return nil
    }

    /// The change, if this is one.
    public var validatorSetChange: ValidatorSetChange? {
        if case let .validatorSetChange(change) = self { return change }
        return nil
    }
}

extension Batch {
    /// The batch's requests in execution order: the transfers, then the change.
    public var requests: [LedgerRequest] {
        transactions.map(LedgerRequest.transfer) + changes.map(LedgerRequest.validatorSetChange)
    }

    /// A batch of `requests` (transfers keep their order; a change goes after them).
    public init(view: View, timestamp: UInt64, requests: [LedgerRequest]) {
        self.init(view: view, timestamp: timestamp, transactions: requests.compactMap(\.transfer),
                  changes: requests.compactMap(\.validatorSetChange))
    }
}
