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

    /// An answer from its parts.
    public init(height: Height, epoch: UInt64, validators: [Validator], pending: PendingChange?) {
        self.height = height
        self.epoch = epoch
        self.validators = validators
        self.pending = pending
    }
}
