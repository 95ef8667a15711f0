import LedgerCore

/// The `validators` result: the set that orders (or ordered) a height, with its epoch, and at the
/// head the accepted change waiting for its boundary.
public struct ValidatorSetInfo: Sendable {
    /// The height asked about (the head when none was given).
    public var height: Height
    /// The epoch of that height.
    public var epoch: UInt64
    /// The set of that epoch, ids 0..<n.
    public var validators: [Validator]
    /// At the head only: the accepted change not yet in effect.
    public var pending: PendingChange?
    /// For epoch ≥ 1: the epoch's first block, and the block that committed the change which began it with that
    /// block's batch as stored (its hash is the batch digest the block's commit certificate signs), so a client
    /// holding the previous epoch's set can verify this one (decision 0038).
    public var firstHeight: Height?
    public var startedBy: (height: Height, batch: [UInt8])?

    /// An answer from its parts.
    public init(height: Height, epoch: UInt64, validators: [Validator], pending: PendingChange?) {
        self.height = height
        self.epoch = epoch
        self.validators = validators
        self.pending = pending
    }
}
