import LedgerCore
import LedgerCrypto

/// Walks every signed part of a message or certificate (outer and embedded), so the verifier's
/// passes — epochs first, then signatures — share one definition of what a message contains.
protocol SignedPartVisitor {
    /// Called once per signed part; `what` names it for an error message.
    mutating func visit<Body: SignableBody>(_ m: Signed<Body>, _ what: @autoclosure () -> String) throws(PBFTError)
}

/// Refuses any part not of `epoch`, without checking a signature.
struct EpochCheck: SignedPartVisitor {
    /// The epoch every part must carry.
    let epoch: UInt64
    /// `true` until the first part is seen: the outermost part says whether the whole message is
    /// ahead or behind (`PBFTError.otherEpoch`); a later part of another epoch is a malformed message.
    var isOutermost = true

    mutating func visit<Body: SignableBody>(_ m: Signed<Body>, _ what: @autoclosure () -> String) throws(PBFTError) {
        defer { isOutermost = false }
        guard m.epoch != epoch else { return }
        throw isOutermost ? .otherEpoch(m.epoch, local: epoch) : .mixedEpochs(what: what(), epoch: m.epoch, expected: epoch)
    }
}

/// Checks every part's signer and signature in `context`.
struct SignatureCheck: SignedPartVisitor {
    /// The validators' keys.
    let scheme: any SignatureScheme
    /// The chain and epoch the signatures must cover.
    let context: SigningContext

    func visit<Body: SignableBody>(_ m: Signed<Body>, _ what: @autoclosure () -> String) throws(PBFTError) {
        guard m.signer.index >= 0, m.signer.index < scheme.replicaCount else { throw .unknownSigner(m.signer) }
        guard m.isValid(scheme: scheme, context: context) else { throw .badSignature(what: what(), signer: m.signer) }
    }
}

extension Message {
    /// Visits every signed part, the outer one first (a forwarded commit certificate's commits,
    /// in order; nothing for a fetched batch).
    func visitSignedParts<V: SignedPartVisitor>(_ v: inout V) throws(PBFTError) {
        switch self {
        case let .prePrepare(m, _): try v.visit(m, "pre-prepare at \(m.body.sequence)")
        case let .prepare(m): try v.visit(m, "prepare at \(m.body.sequence)")
        case let .commit(m): try v.visit(m, "commit at \(m.body.sequence)")
        case let .checkpoint(m): try v.visit(m, "checkpoint at \(m.body.sequence)")
        case let .status(m): try v.visit(m, "status")
        case let .viewChange(m): try m.visitSignedParts(&v)
        case let .newView(m):
            try v.visit(m, "new-view for \(m.body.view)")
            for vc in m.body.viewChanges { try vc.visitSignedParts(&v) }
            for pp in m.body.prePrepares { try v.visit(pp, "new-view pre-prepare at \(pp.body.sequence)") }
        case let .batchFetch(m): try v.visit(m, "batch-fetch for \(m.body.view)")
        case .fetchedBatch: break
        case let .committedBatch(cert, _): try cert.visitSignedParts(&v)
        }
    }
}

extension Signed where Body == ViewChange {
    /// The VIEW-CHANGE, then its checkpoint proof's and prepared certificates' parts.
    func visitSignedParts<V: SignedPartVisitor>(_ v: inout V) throws(PBFTError) {
        try v.visit(self, "view-change to \(body.newView)")
        try body.stableCheckpoint.visitSignedParts(&v, inside: "a view-change")
        for cert in body.preparedCertificates {
            try v.visit(cert.prePrepare, "pre-prepare at \(cert.sequence) in a prepared certificate")
            for p in cert.prepares { try v.visit(p, "prepare at \(cert.sequence) in a prepared certificate") }
        }
    }
}

extension CheckpointProof {
    /// Every signed CHECKPOINT of the proof (none for an epoch's unsigned start).
    func visitSignedParts<V: SignedPartVisitor>(_ v: inout V, inside: String = "a checkpoint proof") throws(PBFTError) {
        for c in checkpoints { try v.visit(c, "checkpoint at \(c.body.sequence) in \(inside)") }
    }
}

extension CommitCertificate {
    /// Every signed COMMIT of the certificate.
    func visitSignedParts<V: SignedPartVisitor>(_ v: inout V) throws(PBFTError) {
        for c in commits { try v.visit(c, "commit at \(c.body.sequence)") }
    }
}
