import LedgerCore
import LedgerCrypto

/// A stable-checkpoint proof as a state-transfer donor stores and serves it (standalone encoding:
/// `StandaloneWireCoding`) and a full check (structure and every signature) that anyone holding the
/// validators' keys can run on a proof from an untrusted peer.
extension CheckpointProof {
    /// Checks the structure (at least `quorum` distinct validators, all naming this sequence and
    /// block hash, or the unsigned `start` of the epoch), the epochs (all `context.epoch`, checked
    /// before any signature) and every signature. After it returns, `blockHash` is the hash of the
    /// block that at least `quorum - f` honest validators of `context.epoch` executed at `sequence`.
    public func verify(scheme: any SignatureScheme, context: SigningContext, quorum: Int,
                       start: EpochStart = .genesis) throws(PBFTError) {
        try validateStructure(replicaCount: scheme.replicaCount, quorum: quorum, start: start)
        var epochs = EpochCheck(epoch: context.epoch)
        try visitSignedParts(&epochs)
        var signatures = SignatureCheck(scheme: scheme, context: context)
        try visitSignedParts(&signatures)
    }
}
