import LedgerCore
import LedgerCrypto

/// Checks a message's signatures and batches before it reaches the replica. Pure and
/// `Sendable`: the node runs it on many threads in parallel, outside `Replica.handle`.
///
/// What it checks: every signer is a validator and every signature (outer and embedded) is
/// valid; a batch's digest matches the digest that names it; every non-null batch passes the
/// ledger's validity check; a forwarded commit certificate is structurally complete. What it
/// leaves to the replica: the other quorum sizes, distinct signers, matching fields, views,
/// watermarks and timestamps.
public struct MessageVerifier<B: ConsensusBatch>: Sendable {
    /// The chain id every signature covers.
    public let chainID: String
    /// The validators' keys.
    public let scheme: any SignatureScheme
    /// The ledger's batch validity check (transactions' signatures, chain id, duplicates, size).
    public let checkBatch: @Sendable (B) -> BatchCheck

    /// A verifier for `chainID` with the validators in `scheme`.
    public init(chainID: String, scheme: any SignatureScheme, checkBatch: @escaping @Sendable (B) -> BatchCheck) {
        self.chainID = chainID
        self.scheme = scheme
        self.checkBatch = checkBatch
    }

    /// Decodes and verifies bytes from the network.
    public func decodeAndVerify(_ bytes: [UInt8], window: UInt64) throws(PBFTError) -> Verified<Message<B>> {
        try verify(Message<B>.decode(bytes, replicaCount: scheme.replicaCount, window: window))
    }

    /// Verifies a decoded message.
    public func verify(_ message: Message<B>) throws(PBFTError) -> Verified<Message<B>> {
        switch message {
        case let .prePrepare(m, batch):
            try check(m, "pre-prepare at \(m.body.sequence)")
            try checkBatch(batch, named: m.body.digest)
        case let .prepare(m): try check(m, "prepare at \(m.body.sequence)")
        case let .commit(m): try check(m, "commit at \(m.body.sequence)")
        case let .checkpoint(m): try check(m, "checkpoint at \(m.body.sequence)")
        case let .status(m): try check(m, "status")
        case let .viewChange(m):
            try checkViewChange(m)
        case let .newView(m):
            try check(m, "new-view for \(m.body.view)")
            for vc in m.body.viewChanges { try checkViewChange(vc) }
            for pp in m.body.prePrepares { try check(pp, "new-view pre-prepare at \(pp.body.sequence)") }
        case let .batchFetch(m): try check(m, "batch-fetch for \(m.body.view)")
        case let .fetchedBatch(batch):
            // The replica takes it only for a digest it asked for (bound to a certificate); the
            // transactions are checked here like any other batch's.
            guard !batch.isNull else { throw .invalidBatch(reason: "the null batch is never fetched") }
            if case let .invalid(reason) = checkBatch(batch) { throw .invalidBatch(reason: reason) }
        case let .committedBatch(cert, batch):
            try cert.validateStructure(replicaCount: scheme.replicaCount)
            for c in cert.commits { try check(c, "commit at \(c.body.sequence)") }
            try checkBatch(batch, named: cert.digest)
        }
        return Verified(checked: message)
    }

    /// Verifies one signed body (public so the store and clients can check single messages).
    public func check<Body: SignableBody>(_ m: Signed<Body>, _ what: @autoclosure () -> String) throws(PBFTError) {
        guard m.signer.index >= 0, m.signer.index < scheme.replicaCount else { throw .unknownSigner(m.signer) }
        guard m.isValid(scheme: scheme, chainID: chainID) else { throw .badSignature(what: what(), signer: m.signer) }
    }

    private func checkViewChange(_ m: Signed<ViewChange>) throws(PBFTError) {
        try check(m, "view-change to \(m.body.newView)")
        for c in m.body.stableCheckpoint.checkpoints { try check(c, "checkpoint at \(c.body.sequence) in a view-change") }
        for cert in m.body.preparedCertificates {
            try check(cert.prePrepare, "pre-prepare at \(cert.sequence) in a prepared certificate")
            for p in cert.prepares { try check(p, "prepare at \(cert.sequence) in a prepared certificate") }
        }
    }

    private func checkBatch(_ batch: B, named digest: Digest) throws(PBFTError) {
        guard batch.digest == digest else { throw .batchDigestMismatch(expected: digest, actual: batch.digest) }
        if batch.isNull { return }
        if case let .invalid(reason) = checkBatch(batch) { throw .invalidBatch(reason: reason) }
    }
}
