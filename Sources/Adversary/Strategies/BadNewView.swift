import LedgerCore
import LedgerCrypto
import PBFT

/// `bad-new-view`: as the new primary, sends a NEW-VIEW whose O set does not follow from its
/// V set — in turn: the first pre-prepare swapped for a made-up batch, an extra pre-prepare
/// above max-s, or the last pre-prepare dropped. Everything is validly signed with its own
/// key; backups must recompute O, reject it, and move on to the next view.
public struct BadNewView: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .badNewView }
    private var round = 0

    /// A primary that lies in NEW-VIEW.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        guard case let .newView(signed) = message else { return [Emission(message, to: recipients)] }
        round &+= 1
        let body = signed.body
        var prePrepares = body.prePrepares
        let madeUp = Batch(view: body.view, timestamp: context.nowMs, transactions: [])
        switch round % 3 {
        case 0 where !prePrepares.isEmpty:
            let first = prePrepares[0].body
            prePrepares[0] = context.sign(PrePrepare(view: body.view, sequence: first.sequence, digest: madeUp.digest))
        case 2 where !prePrepares.isEmpty:
            prePrepares.removeLast()
        default:
            let top = prePrepares.last?.body.sequence
                ?? body.viewChanges.map(\.body.stableCheckpoint.sequence).max() ?? .zero
            let next = top.adding(1) ?? top
            prePrepares.append(context.sign(PrePrepare(view: body.view, sequence: next, digest: madeUp.digest)))
        }
        let forged = context.sign(NewView(view: body.view, viewChanges: body.viewChanges, prePrepares: prePrepares))
        return [Emission(.newView(forged), to: recipients)]
    }
}
