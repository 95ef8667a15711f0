import LedgerCore
import LedgerCrypto
import PBFT

/// `fake-prepared`: every VIEW-CHANGE it sends carries a forged prepared certificate for the
/// first sequence number above its stable checkpoint, for a batch nobody prepared, in the
/// highest view below the new one. It alternates two forgeries: PREPAREs that claim other
/// replicas' ids (signatures fail verification) and PREPAREs all signed by itself (valid
/// signatures, but not quorum − 1 distinct backups). In the second form it also drops its real
/// certificates. A new primary that believed either would re-propose a batch that never
/// prepared.
public struct FakePrepared: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .fakePrepared }
    private var round = 0

    /// A replica that forges prepared certificates.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        guard case let .viewChange(signed) = message, signed.body.newView.rawValue > 0 else {
            return [Emission(message, to: recipients)]
        }
        round &+= 1
        let body = signed.body
        let view = View(body.newView.rawValue - 1)
        guard let sequence = body.stableCheckpoint.sequence.adding(1) else { return [Emission(message, to: recipients)] }
        let batch = Batch(view: view, timestamp: context.nowMs, transactions: [])
        let primary = view.primary(replicaCount: context.replicaCount)
        let prePrepareBody = PrePrepare(view: view, sequence: sequence, digest: batch.digest)
        let prePrepare = primary == context.replica
            ? context.sign(prePrepareBody) : context.forge(prePrepareBody, claiming: primary)
        let prepareBody = Prepare(view: view, sequence: sequence, digest: batch.digest)
        let backups = context.others.filter { $0 != primary }
        let forgedIDs = round % 2 == 0
        let prepares: [Signed<Prepare>] = (0..<max(0, context.quorum - 1)).map { i in
            forgedIDs && !backups.isEmpty
                ? context.forge(prepareBody, claiming: backups[i % backups.count])
                : context.sign(prepareBody)
        }
        let fake = PreparedCertificate(prePrepare: prePrepare, prepares: prepares)
        var certificates = forgedIDs ? body.preparedCertificates : []
        certificates.removeAll { $0.sequence == sequence }
        certificates.insert(fake, at: 0)
        let forged = context.sign(ViewChange(
            newView: body.newView, stableCheckpoint: body.stableCheckpoint, preparedCertificates: certificates))
        return [Emission(.viewChange(forged), to: recipients)]
    }
}
