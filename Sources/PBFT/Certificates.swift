import LedgerCore
import LedgerCrypto

/// Certificates: sets of signed messages from distinct replicas that prove a fact to anyone
/// holding the validators' public keys.

/// Proof that `sequence` is a stable checkpoint: a quorum of matching signed CHECKPOINTs.
/// Sequence 0 (genesis) is stable by definition and carries no signatures.
public struct CheckpointProof: Hashable, Sendable {
    /// The checkpoint's sequence number.
    public var sequence: SequenceNumber
    /// The block hash at `sequence` (`Digest.zero` for genesis).
    public var blockHash: Digest
    /// The signed checkpoints (empty for genesis).
    public var checkpoints: [Signed<Checkpoint>]

    /// A proof from its parts.
    public init(sequence: SequenceNumber, blockHash: Digest, checkpoints: [Signed<Checkpoint>]) {
        self.sequence = sequence; self.blockHash = blockHash; self.checkpoints = checkpoints
    }

    /// The genesis checkpoint (sequence 0), epoch 0's start.
    public static let genesis = CheckpointProof(sequence: .zero, blockHash: .zero, checkpoints: [])

    /// Checks the structure: the epoch's start `start` (genesis by default) is stable by
    /// definition and carries no signatures; any other proof is above it and holds at least
    /// `quorum` checkpoints from distinct validators, all naming (`sequence`, `blockHash`).
    /// Signatures are checked by `MessageVerifier` / `verify(scheme:context:quorum:start:)`.
    public func validateStructure(replicaCount: Int, quorum: Int, start: EpochStart = .genesis) throws(PBFTError) {
        if checkpoints.isEmpty {
            guard sequence == start.sequence, blockHash == start.blockHash else {
                throw .invalidCertificate("an unsigned checkpoint proof stands only for the epoch's start \(start.sequence), not \(sequence)")
            }
            return
        }
        guard sequence > start.sequence else {
            throw .invalidCertificate("checkpoint proof for \(sequence) is not above the epoch's start \(start.sequence)")
        }
        guard checkpoints.count <= replicaCount else {
            throw .invalidCertificate("checkpoint proof has \(checkpoints.count) entries for \(replicaCount) validators")
        }
        var signers = Set<ReplicaID>()
        for c in checkpoints {
            guard c.body.sequence == sequence, c.body.blockHash == blockHash else {
                throw .invalidCertificate("checkpoint proof for \(sequence) mixes checkpoints for other sequences or hashes")
            }
            guard c.signer.index >= 0, c.signer.index < replicaCount else { throw .unknownSigner(c.signer) }
            signers.insert(c.signer)
        }
        guard signers.count >= quorum else {
            throw .invalidCertificate("checkpoint proof for \(sequence) has \(signers.count) distinct signers; \(quorum) needed")
        }
    }

    func encode(into w: inout ByteWriter) {
        w.write(sequence); w.write(blockHash)
        w.write(UInt16(truncatingIfNeeded: checkpoints.count))
        for c in checkpoints { c.encode(into: &w) }
    }

    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> CheckpointProof {
        let seq = try r.seq()
        let hash = try r.digest()
        let k = try r.count("checkpoint proof entries", limit: bounds.replicaCount)
        var list: [Signed<Checkpoint>] = []
        list.reserveCapacity(k)
        for _ in 0..<k { list.append(try Signed<Checkpoint>.decode(from: &r, bounds: bounds)) }
        return CheckpointProof(sequence: seq, blockHash: hash, checkpoints: list)
    }
}

/// Proof that a batch was prepared at (v, n): the primary's signed PRE-PREPARE and `quorum − 1`
/// signed PREPAREs for the same (v, n, d) from distinct backups (2f when n = 3f + 1): together a
/// quorum of replicas.
public struct PreparedCertificate: Hashable, Sendable {
    /// The primary's pre-prepare.
    public var prePrepare: Signed<PrePrepare>
    /// The matching prepares.
    public var prepares: [Signed<Prepare>]

    /// A certificate from its parts.
    public init(prePrepare: Signed<PrePrepare>, prepares: [Signed<Prepare>]) {
        self.prePrepare = prePrepare; self.prepares = prepares
    }

    /// The view the batch was prepared in.
    public var view: View { prePrepare.body.view }
    /// The sequence number.
    public var sequence: SequenceNumber { prePrepare.body.sequence }
    /// The batch digest.
    public var digest: Digest { prePrepare.body.digest }

    /// Checks the structure: the pre-prepare is signed by the primary of its view, and at least
    /// `quorum − 1` prepares from distinct replicas other than the primary match (v, n, d).
    public func validateStructure(replicaCount: Int, quorum: Int) throws(PBFTError) {
        let primary = view.primary(replicaCount: replicaCount)
        guard prePrepare.signer == primary else {
            throw .invalidCertificate("prepared certificate's pre-prepare at \(sequence) is signed by \(prePrepare.signer), not the primary \(primary) of \(view)")
        }
        guard prepares.count <= replicaCount else {
            throw .invalidCertificate("prepared certificate has \(prepares.count) prepares for \(replicaCount) validators")
        }
        var signers = Set<ReplicaID>()
        for p in prepares {
            guard p.body.view == view, p.body.sequence == sequence, p.body.digest == digest else {
                throw .invalidCertificate("prepared certificate at \(sequence) holds a prepare for a different view, sequence or digest")
            }
            guard p.signer.index >= 0, p.signer.index < replicaCount else { throw .unknownSigner(p.signer) }
            if p.signer != primary { signers.insert(p.signer) }
        }
        let needed = quorum - 1
        guard signers.count >= needed else {
            throw .invalidCertificate("prepared certificate at \(sequence) has \(signers.count) distinct backup prepares; \(needed) needed")
        }
    }

    func encode(into w: inout ByteWriter) {
        prePrepare.encode(into: &w)
        w.write(UInt16(truncatingIfNeeded: prepares.count))
        for p in prepares { p.encode(into: &w) }
    }

    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> PreparedCertificate {
        let pp = try Signed<PrePrepare>.decode(from: &r, bounds: bounds)
        let k = try r.count("prepared certificate prepares", limit: bounds.replicaCount)
        var list: [Signed<Prepare>] = []
        list.reserveCapacity(k)
        for _ in 0..<k { list.append(try Signed<Prepare>.decode(from: &r, bounds: bounds)) }
        return PreparedCertificate(prePrepare: pp, prepares: list)
    }
}

/// Proof that the batch with `digest` committed at `sequence`: a quorum of signed COMMITs for
/// (view, sequence, digest) from distinct validators. Stored with the block and served over RPC.
public struct CommitCertificate: Hashable, Sendable {
    /// The view the batch committed in.
    public var view: View
    /// The sequence number (= block height).
    public var sequence: SequenceNumber
    /// The batch digest.
    public var digest: Digest
    /// The signed commits.
    public var commits: [Signed<Commit>]

    /// A certificate from its parts.
    public init(view: View, sequence: SequenceNumber, digest: Digest, commits: [Signed<Commit>]) {
        self.view = view; self.sequence = sequence; self.digest = digest; self.commits = commits
    }

    /// Checks the structure: at least a quorum of commits from distinct validators, all for
    /// (view, sequence, digest). `quorum` is the replicas' configured quorum
    /// (`ReplicaConfiguration.quorum`), `nil` for `QuorumRule`'s.
    public func validateStructure(replicaCount: Int, quorum: Int? = nil) throws(PBFTError) {
        guard let rule = QuorumRule(replicaCount) else {
            throw .invalidCertificate("commit certificate checked against \(replicaCount) validators")
        }
        let needed = quorum ?? rule.quorum
        guard commits.count <= replicaCount else {
            throw .invalidCertificate("commit certificate has \(commits.count) commits for \(replicaCount) validators")
        }
        var signers = Set<ReplicaID>()
        for c in commits {
            guard c.body.view == view, c.body.sequence == sequence, c.body.digest == digest else {
                throw .invalidCertificate("commit certificate at \(sequence) holds a commit for a different view, sequence or digest")
            }
            guard c.signer.index >= 0, c.signer.index < replicaCount else { throw .unknownSigner(c.signer) }
            signers.insert(c.signer)
        }
        guard signers.count >= needed else {
            throw .invalidCertificate("commit certificate at \(sequence) has \(signers.count) distinct signers; \(needed) needed")
        }
    }

    /// Checks structure, epochs and every signature: what a client or a catching-up node runs on
    /// a certificate served by an untrusted peer. `scheme` holds the keys of `context.epoch`'s
    /// validator set; a certificate of another epoch is refused before any signature is checked
    /// (`PBFTError.epochAhead` / `.epochBehind`). `quorum` as for `validateStructure`.
    public func verify(scheme: any SignatureScheme, context: SigningContext, quorum: Int? = nil) throws(PBFTError) {
        try validateStructure(replicaCount: scheme.replicaCount, quorum: quorum)
        var epochs = EpochCheck(epoch: context.epoch)
        try visitSignedParts(&epochs)
        var signatures = SignatureCheck(scheme: scheme, context: context)
        try visitSignedParts(&signatures)
    }

    /// `verify(scheme:context:quorum:)`, and the certificate wrapped for the replica (`Event.transferredCertificates`).
    public func verified(scheme: any SignatureScheme, context: SigningContext, quorum: Int? = nil) throws(PBFTError) -> Verified<CommitCertificate> {
        try verify(scheme: scheme, context: context, quorum: quorum)
        return Verified(checked: self)
    }

    func encode(into w: inout ByteWriter) {
        w.write(view); w.write(sequence); w.write(digest)
        w.write(UInt16(truncatingIfNeeded: commits.count))
        for c in commits { c.encode(into: &w) }
    }

    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> CommitCertificate {
        let v = try r.view()
        let n = try r.seq()
        let d = try r.digest()
        let k = try r.count("commit certificate commits", limit: bounds.replicaCount)
        var list: [Signed<Commit>] = []
        list.reserveCapacity(k)
        for _ in 0..<k { list.append(try Signed<Commit>.decode(from: &r, bounds: bounds)) }
        return CommitCertificate(view: v, sequence: n, digest: d, commits: list)
    }
}
