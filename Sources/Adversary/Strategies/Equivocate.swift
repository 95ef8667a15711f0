import LedgerCore
import LedgerCrypto
import PBFT

/// `equivocate`: as primary, proposes one batch to half of the backups and a different batch
/// (same transactions, timestamp one millisecond later) to the other half at the same
/// (view, sequence), and sends each half the COMMIT that matches what it saw.
///
/// With at most `f` Byzantine replicas neither batch can gather a quorum on both sides, so
/// PBFT stays safe; the honest replicas that saw the losing batch catch up by view change or
/// state transfer. With a `Coalition` (the collusion self-test) it announces each fork to its
/// accomplice.
public struct Equivocate: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .equivocate }
    private let coalition: Coalition?
    private var alternates: [SlotKey: Batch] = [:]

    private struct SlotKey: Hashable {
        var view: View
        var sequence: SequenceNumber
    }

    /// An equivocating primary, optionally sharing its forks with `coalition`.
    public init(coalition: Coalition? = nil) { self.coalition = coalition }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        switch message {
        case let .prePrepare(signed, batch):
            let body = signed.body
            let alternate = Batch(view: batch.view, timestamp: batch.timestamp &+ 1, transactions: batch.transactions)
            let key = SlotKey(view: body.view, sequence: body.sequence)
            alternates[key] = alternate
            if alternates.count > 4_096 { alternates.removeAll(keepingCapacity: true) }
            coalition?.announce(
                view: body.view, sequence: body.sequence,
                fork: Coalition.Fork(original: batch.digest, alternate: alternate.digest))
            let forged = context.sign(PrePrepare(view: body.view, sequence: body.sequence, digest: alternate.digest))
            let (keep, fork) = split(recipients, context: context)
            var out: [Emission] = []
            if !keep.isEmpty { out.append(Emission(message, to: keep)) }
            if !fork.isEmpty { out.append(Emission(.prePrepare(forged, batch: alternate), to: fork)) }
            return out
        case let .commit(signed):
            let body = signed.body
            guard let alternate = alternates[SlotKey(view: body.view, sequence: body.sequence)] else {
                return [Emission(message, to: recipients)]
            }
            let forged = context.sign(Commit(view: body.view, sequence: body.sequence, digest: alternate.digest))
            let (keep, fork) = split(recipients, context: context)
            var out: [Emission] = []
            if !keep.isEmpty { out.append(Emission(message, to: keep)) }
            if !fork.isEmpty { out.append(Emission(.commit(forged), to: fork)) }
            return out
        default:
            return [Emission(message, to: recipients)]
        }
    }

    private func split(_ recipients: [ReplicaID], context: AdversaryContext) -> ([ReplicaID], [ReplicaID]) {
        var keep: [ReplicaID] = []
        var fork: [ReplicaID] = []
        for r in recipients {
            if Coalition.receivesAlternate(r, primary: context.replica, replicaCount: context.replicaCount, quorum: context.quorum) {
                fork.append(r)
            } else {
                keep.append(r)
            }
        }
        return (keep, fork)
    }
}
