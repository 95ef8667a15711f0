import LedgerCore
import LedgerCrypto
import PBFT

/// Shared knowledge of colluding Byzantine replicas (used only by the collusion self-test, with
/// `QuorumRule.quorumIntersection` colluders: f + 1 at n = 3f + 1): the equivocating primary
/// announces each fork so its accomplices can vote for both sides, each to the half that saw it.
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
    /// batch from `primary` when the replicas' quorum is `quorum`. Backups are numbered by
    /// distance from the primary (1…n − 1); those at distance `quorum` or more get the alternate.
    /// With c colluders at distances 0…c − 1 (the primary and its accomplices), the original side
    /// is distances 0…q − 1, a quorum with the colluders, and the alternate side's n − q honest
    /// replicas make one with the c colluders when c ≥ 2q − n (`QuorumRule.quorumIntersection`;
    /// f + 1 at n = 3f + 1, where it splits the 2f honest replicas into two halves of f). Both
    /// colluders use this rule, so they split the same way.
    public static func receivesAlternate(_ replica: ReplicaID, primary: ReplicaID, replicaCount: Int, quorum: Int) -> Bool {
        guard replicaCount >= 1 else { return false }
        let position = ((replica.index - primary.index) % replicaCount + replicaCount) % replicaCount
        return position >= quorum
    }
}
