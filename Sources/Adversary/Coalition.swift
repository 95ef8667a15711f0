import LedgerCore
import LedgerCrypto
import PBFT

/// Shared knowledge of colluding Byzantine replicas (used only by the f + 1 collusion
/// self-test): the equivocating primary announces each fork so its accomplice can vote
/// for both sides, each to the half that saw it.
public final class Coalition {
    /// One fork: the original batch digest and the alternate one, per (view, sequence).
    public struct Fork: Sendable {
        /// The digest the "original" half of the backups received.
        public var original: Digest
        /// The digest the other half received.
        public var alternate: Digest
    }

    private struct Key: Hashable {
        var view: View
        var sequence: SequenceNumber
    }

    private var forks: [Key: Fork] = [:]

    /// An empty coalition.
    public init() {}

    /// The primary forked (`view`, `sequence`).
    public func announce(view: View, sequence: SequenceNumber, fork: Fork) {
        forks[Key(view: view, sequence: sequence)] = fork
    }

    /// The fork at (`view`, `sequence`), if the primary made one.
    public func fork(view: View, sequence: SequenceNumber) -> Fork? {
        forks[Key(view: view, sequence: sequence)]
    }

    /// `true` when `replica` belongs to the part of the backups that receives the alternate
    /// batch from `primary`. Backups are numbered by distance from the primary (1…n-1); those
    /// at distance 2f + 1 or more get the alternate. With the primary and its f accomplices at
    /// distances 0…f, that splits the 2f honest replicas into two halves of f, each of which
    /// reaches a quorum of 2f + 1 together with the f + 1 colluders. Both colluders use this
    /// rule, so they split the same way.
    public static func receivesAlternate(_ replica: ReplicaID, primary: ReplicaID, replicaCount: Int) -> Bool {
        guard let rule = QuorumRule(replicaCount) else { return false }
        let position = ((replica.index - primary.index) % replicaCount + replicaCount) % replicaCount
        return position >= rule.quorum
    }
}
