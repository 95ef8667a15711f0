import LedgerCore
import LedgerCrypto

/// A stable-checkpoint proof as a state-transfer donor stores and serves it (standalone encoding:
/// `StandaloneWireCoding`) and a full check (structure and every signature) that anyone holding the
/// validators' keys can run on a proof from an untrusted peer.
extension CheckpointProof {
    /// Checks the structure (at least `quorum` distinct validators, all naming this sequence and
    /// block hash) and every signature. After it returns, `blockHash` is the hash of the block
    /// that at least `quorum - f` honest validators executed at `sequence`.
    public func verify(scheme: any SignatureScheme, chainID: String, quorum: Int) throws(PBFTError) {
        try validateStructure(replicaCount: scheme.replicaCount, quorum: quorum)
        for c in checkpoints where !c.isValid(scheme: scheme, chainID: chainID) {
            throw .badSignature(what: "checkpoint at \(sequence)", signer: c.signer)
        }
    }
}
