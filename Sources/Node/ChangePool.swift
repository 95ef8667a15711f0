import LedgerCore
import LedgerCrypto

/// The validator-set changes a node holds until a block commits them (at most `NodeLimits.pendingChangesMax`), by
/// hash. Small on purpose: one change can take effect per epoch.
struct ChangePool {
    private var changes: [Digest: ValidatorSetChange] = [:]

    /// How many are held.
    var count: Int { changes.count }

    /// Whether the change with `hash` is held.
    func contains(_ hash: Digest) -> Bool { changes[hash] != nil }

    /// Holds `change`.
    mutating func insert(_ change: ValidatorSetChange) { changes[change.hash] = change }

    /// Forgets the change with `hash`.
    mutating func remove(_ hash: Digest) { changes[hash] = nil }
}
