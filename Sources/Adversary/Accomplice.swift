import LedgerCore
import LedgerCrypto
import PBFT

/// The accomplice of an equivocating primary when the two run in separate processes (the
/// f + 1 collusion self-test on real nodes): a `double-vote` replica that learns each fork
/// without shared memory. `Equivocate` derives its alternate batch deterministically (same
/// transactions, timestamp + 1 ms), so on seeing the primary's PRE-PREPARE the accomplice
/// rebuilds the other side itself and votes for each side to the half of the backups that
/// saw it. With f + 1 colluders this forks honest replicas — a run that must fail its checks.
public struct Accomplice: ByzantineBehaviour {
    private let coalition: Coalition
    private var voter: DoubleVote
    private let replica: ReplicaID
    private let replicaCount: Int

    /// An accomplice running as `replica` of `replicaCount`.
    public init(replica: ReplicaID, replicaCount: Int) {
        let coalition = Coalition()
        self.coalition = coalition
        self.voter = DoubleVote(coalition: coalition)
        self.replica = replica
        self.replicaCount = replicaCount
    }

    public var strategy: ByzantineStrategy { .doubleVote }

    public mutating func observe(incoming message: LedgerMessage) {
        guard case let .prePrepare(signed, batch) = message else { return }
        let body = signed.body
        guard signed.signer == body.view.primary(replicaCount: replicaCount), signed.signer != replica else { return }
        let sawAlternate = Coalition.receivesAlternate(
            replica, primary: signed.signer, replicaCount: replicaCount, quorum: (QuorumRule(replicaCount) ?? .single).quorum)
        let other = Batch(
            view: batch.view, timestamp: sawAlternate ? batch.timestamp &- 1 : batch.timestamp &+ 1,
            transactions: batch.transactions)
        let fork = sawAlternate
            ? Coalition.Fork(original: other.digest, alternate: batch.digest)
            : Coalition.Fork(original: batch.digest, alternate: other.digest)
        coalition.announce(view: body.view, sequence: body.sequence, fork: fork)
    }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        voter.transform(message, to: recipients, context: context)
    }
}
