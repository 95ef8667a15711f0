/// A stable-checkpoint proof as a state-transfer donor stores and serves it: a standalone
/// encoding and a full check (structure and every signature) that anyone holding the
/// validators' keys can run on a proof from an untrusted peer.
extension CheckpointProof {
    /// The canonical encoding (the same bytes as inside VIEW-CHANGE and the consensus log).
    public func encoded() -> [UInt8] {
        var w = WireWriter()
        encode(into: &w)
        return w.bytes
    }

    /// Decodes `encoded()`; throws on malformed input, trailing bytes or more than `replicaCount` entries.
    public static func decode(_ bytes: [UInt8], replicaCount: Int) throws(PBFTError) -> CheckpointProof {
        var r = WireReader(bytes)
        let proof = try decode(from: &r, bounds: DecodingBounds(replicaCount: replicaCount, window: 0))
        try r.finish()
        return proof
    }

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
