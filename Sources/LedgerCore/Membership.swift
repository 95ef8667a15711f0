import LedgerCrypto

/// Who orders blocks: the validator set of the current epoch, and the accepted change waiting
/// for its boundary (decision 0038). A function of the chain — genesis, then every accepted
/// change in its blocks — so every node that executes the same blocks holds the same value.
public struct Membership: Hashable, Sendable {
    /// The current epoch (0 from genesis until the first change takes effect).
    public let epoch: UInt64
    /// The set of the current epoch, ids 0..<n in order.
    public let validators: [Validator]
    /// The first block this set orders (1 in epoch 0; the boundary + 1 after a change).
    public let firstHeight: Height
    /// The accepted change not yet in effect, or `nil`.
    public let pending: PendingChange?

    /// A membership from its parts.
    public init(epoch: UInt64, validators: [Validator], firstHeight: Height, pending: PendingChange?) {
        self.epoch = epoch
        self.validators = validators
        self.firstHeight = firstHeight
        self.pending = pending
    }

    /// Epoch 0: the genesis set, ordering from block 1.
    public init(genesis: Genesis) {
        self.init(epoch: 0, validators: genesis.validators, firstHeight: Height(1), pending: nil)
    }

    /// The last block the current set orders, once a change is pending.
    public var lastHeight: Height? { pending?.lastSequence }

    /// Executes `change`, committed in block `height`, under `parameters`: the membership with
    /// the change pending, or why it was refused (the block records the refusal in a receipt and
    /// nothing changes). Deterministic: every replica gets the same answer.
    public func accepting(
        _ change: ValidatorSetChange, inBlock height: Height, chainID: String, parameters: ConsensusParameters,
        quorumOverride: Int? = nil
    ) -> Result<Membership, ValidatorSetChangeError> {
        if let pending {
            return .failure(.changePending(lastSequence: pending.lastSequence.rawValue))
        }
        let next: [Validator]
        do {
            next = try change.nextSet(after: validators, currentEpoch: epoch, chainID: chainID, quorumOverride: quorumOverride)
        } catch {
            return .failure(error)
        }
        guard let last = EpochBoundary.lastSequence(
            changeCommittedAt: height, window: parameters.window, checkpointInterval: parameters.checkpointInterval)
        else {
            return .failure(.noBoundary)
        }
        let pending = PendingChange(changeID: change.id, committedAt: height, lastSequence: last, validators: next)
        return .success(Membership(epoch: epoch, validators: validators, firstHeight: firstHeight, pending: pending))
    }

    /// The membership after block `height` executed: the next epoch when `height` is the
    /// pending change's boundary, otherwise `self`.
    public func advanced(pastBlock height: Height) -> Membership {
        guard let pending, height == pending.lastSequence, epoch < UInt64.max else { return self }
        return Membership(
            epoch: epoch + 1, validators: pending.validators, firstHeight: Height(height.rawValue &+ 1), pending: nil)
    }
}

/// An accepted validator-set change waiting for its boundary.
public struct PendingChange: Hashable, Sendable {
    /// The change's id (`ValidatorSetChange.id`).
    public let changeID: Digest
    /// The block that committed it.
    public let committedAt: Height
    /// The last block the current set orders (`EpochBoundary.lastSequence`).
    public let lastSequence: Height
    /// The set of the next epoch, ids 0..<n in order.
    public let validators: [Validator]

    /// A pending change from its parts.
    public init(changeID: Digest, committedAt: Height, lastSequence: Height, validators: [Validator]) {
        self.changeID = changeID
        self.committedAt = committedAt
        self.lastSequence = lastSequence
        self.validators = validators
    }
}
