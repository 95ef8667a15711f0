import LedgerCore
import LedgerCrypto
import PBFT

/// `double-vote`: signs two different PREPAREs and COMMITs for every (view, sequence) and
/// sends one to each half of its peers.
///
/// Alone it votes for the real digest and a made-up one; honest replicas that compare the
/// votes (in certificates, view changes) get equivocation evidence. In a `Coalition` with an
/// equivocating primary it votes for each side of the primary's fork to the half that saw it
/// — the f + 1 attack the self-test uses to prove the safety checker catches a fork.
public struct DoubleVote: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .doubleVote }
    private let coalition: Coalition?

    /// A double voter, optionally colluding through `coalition`.
    public init(coalition: Coalition? = nil) { self.coalition = coalition }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        switch message {
        case let .prepare(signed):
            let b = signed.body
            return vote(message, recipients, view: b.view, sequence: b.sequence, digest: b.digest, context: context) {
                .prepare(context.sign(Prepare(view: b.view, sequence: b.sequence, digest: $0)))
            }
        case let .commit(signed):
            let b = signed.body
            return vote(message, recipients, view: b.view, sequence: b.sequence, digest: b.digest, context: context) {
                .commit(context.sign(Commit(view: b.view, sequence: b.sequence, digest: $0)))
            }
        default:
            return [Emission(message, to: recipients)]
        }
    }

    private func vote(
        _ message: LedgerMessage, _ recipients: [ReplicaID], view: View, sequence: SequenceNumber, digest: Digest,
        context: AdversaryContext, make: (Digest) -> LedgerMessage
    ) -> [Emission] {
        let primary = view.primary(replicaCount: context.replicaCount)
        if let fork = coalition?.fork(view: view, sequence: sequence) {
            // Each replica gets the vote for the side of the fork its pre-prepare showed it.
            var original: [ReplicaID] = []
            var alternate: [ReplicaID] = []
            for r in recipients {
                if Coalition.receivesAlternate(r, primary: primary, replicaCount: context.replicaCount, quorum: context.quorum) {
                    alternate.append(r)
                } else {
                    original.append(r)
                }
            }
            var out: [Emission] = []
            if !original.isEmpty { out.append(Emission(make(fork.original), to: original)) }
            if !alternate.isEmpty { out.append(Emission(make(fork.alternate), to: alternate)) }
            return out
        }
        // Alone: the real vote to one half, a vote for a made-up digest to the other.
        var bogus = Hasher256()
        bogus.update(digest)
        bogus.update(Array("double-vote".utf8))
        let other = bogus.finalize()
        let half = recipients.count / 2
        var out: [Emission] = []
        if half < recipients.count { out.append(Emission(message, to: Array(recipients[half...]))) }
        if half > 0 { out.append(Emission(make(other), to: Array(recipients[..<half]))) }
        return out
    }
}
