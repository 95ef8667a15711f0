import LedgerCore
import LedgerCrypto
import PBFT

/// `flood`: with every message it sends, also sends validly signed junk the watermarks and
/// view checks must drop: PREPAREs and COMMITs for stale views, for sequence numbers far
/// beyond the high watermark, CHECKPOINTs far in the future and VIEW-CHANGEs for views far
/// ahead. None of it may be stored beyond the log's bounds or move anyone to a new view.
public struct Flood: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .flood }
    private var random: AdversaryRandom
    private var highestView = View.zero
    private var highestSequence = SequenceNumber.zero

    /// A flooder whose choices come from `seed`.
    public init(seed: UInt64) { random = AdversaryRandom(seed: seed) }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        switch message {
        case let .prePrepare(s, _): track(s.body.view, s.body.sequence)
        case let .prepare(s): track(s.body.view, s.body.sequence)
        case let .commit(s): track(s.body.view, s.body.sequence)
        default: break
        }
        var out = [Emission(message, to: recipients)]
        let junkDigest = MessageSurgery.madeUpDigest(Digest.zero, "flood-\(random.next())")
        let far = highestSequence.adding(context.window &* 4 &+ UInt64(random.below(1_000)) &+ 1) ?? highestSequence
        let farView = highestView.rawValue &+ 1_000 &+ UInt64(random.below(1_000))
        let staleView = highestView.rawValue > 0 ? View(highestView.rawValue - 1) : View.zero
        var junk: [LedgerMessage] = [
            .prepare(context.sign(Prepare(view: highestView, sequence: far, digest: junkDigest))),
            .commit(context.sign(Commit(view: highestView, sequence: far, digest: junkDigest))),
            .checkpoint(context.sign(Checkpoint(sequence: far, blockHash: junkDigest))),
            .prepare(context.sign(Prepare(view: View(farView), sequence: highestSequence, digest: junkDigest))),
        ]
        if staleView != highestView {
            junk.append(.commit(context.sign(Commit(view: staleView, sequence: highestSequence, digest: junkDigest))))
        }
        if random.percent(10) {
            junk.append(.viewChange(
                context.sign(ViewChange(newView: View(farView), stableCheckpoint: .genesis, preparedCertificates: []))))
        }
        for m in junk { out.append(Emission(m, to: recipients)) }
        return out
    }

    private mutating func track(_ view: View, _ sequence: SequenceNumber) {
        if view > highestView { highestView = view }
        if sequence > highestSequence { highestSequence = sequence }
    }
}
