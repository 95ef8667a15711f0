import LedgerCore
import LedgerCrypto

/// Checks a message's signatures and batches before it reaches the replica. Pure and
/// `Sendable`: the node runs it on many threads in parallel, outside `Replica.handle`.
///
/// What it checks, cheapest first: every signed part (outer and embedded) is of its epoch, before
/// any signature (`SignedParts.swift`); every signer is a validator and every signature is
/// valid; a batch's digest matches the digest that names it; every non-null batch passes the
/// ledger's validity check; a forwarded commit certificate is structurally complete. What it
/// leaves to the replica: the other quorum sizes, distinct signers, matching fields, views,
/// watermarks and timestamps.
public struct MessageVerifier<B: ConsensusBatch>: Sendable {
    /// The chain and epoch every signature must cover.
    public let context: SigningContext
    /// The validators' keys (of `context.epoch`'s validator set).
    public let scheme: any SignatureScheme
    /// The ledger's batch validity check (transactions' signatures, chain id, duplicates, size).
    public let checkBatch: @Sendable (B) -> BatchCheck

    /// A verifier for messages of `context` signed by the validators in `scheme`.
    public init(context: SigningContext, scheme: any SignatureScheme, checkBatch: @escaping @Sendable (B) -> BatchCheck) {
        self.context = context
        self.scheme = scheme
        self.checkBatch = checkBatch
    }

    /// Decodes and verifies bytes from the network.
    public func decodeAndVerify(_ bytes: [UInt8], window: UInt64) throws(PBFTError) -> Verified<Message<B>> {
        try verify(Message<B>.decode(bytes, replicaCount: scheme.replicaCount, window: window))
    }

    /// Verifies a decoded message. A message of another epoch is refused before any signature
    /// is checked, with `PBFTError.epochAhead` (this node is behind a validator-set change) or
    /// `.epochBehind` (the sender is); a signed part of another epoch inside a message of this
    /// one is `.mixedEpochs`.
    public func verify(_ message: Message<B>) throws(PBFTError) -> Verified<Message<B>> {
        var epochs = EpochCheck(epoch: context.epoch)
        try message.visitSignedParts(&epochs)
        if case let .committedBatch(cert, _) = message { try cert.validateStructure(replicaCount: scheme.replicaCount) }
        var signatures = SignatureCheck(scheme: scheme, context: context)
        try message.visitSignedParts(&signatures)
        switch message {
        case let .prePrepare(m, batch):
            try checkBatch(batch, named: m.body.digest)
        case let .fetchedBatch(batch):
            // The replica takes it only for a digest it asked for (bound to a certificate); the
            // transactions are checked here like any other batch's.
            guard !batch.isNull else { throw .invalidBatch(reason: "the null batch is never fetched") }
            if case let .invalid(reason) = checkBatch(batch) { throw .invalidBatch(reason: reason) }
        case let .committedBatch(cert, batch):
            try checkBatch(batch, named: cert.digest)
        case .prepare, .commit, .checkpoint, .status, .viewChange, .newView, .batchFetch:
            break
        }
        return Verified(checked: message)
    }

    /// Verifies one signed body: its epoch, signer and signature (public so the store and
    /// clients can check single messages).
    public func check<Body: SignableBody>(_ m: Signed<Body>, _ what: @autoclosure () -> String) throws(PBFTError) {
        var epochs = EpochCheck(epoch: context.epoch)
        try epochs.visit(m, what())
        try SignatureCheck(scheme: scheme, context: context).visit(m, what())
    }

    private func checkBatch(_ batch: B, named digest: Digest) throws(PBFTError) {
        guard batch.digest == digest else { throw .batchDigestMismatch(expected: digest, actual: batch.digest) }
        if batch.isNull { return }
        if case let .invalid(reason) = checkBatch(batch) { throw .invalidBatch(reason: reason) }
    }
}
