import LedgerCore
import LedgerCrypto
import PBFT

/// A fast, deliberately insecure signature scheme for the PBFT tests: a "signature" is a hash
/// anyone can recompute. It keeps the bookkeeping honest (a changed byte or a wrong signer fails
/// to verify) at a fraction of Ed25519's cost. It lives in a test-support target so no
/// production module ships it.
public struct SimulatedSigner: MessageSigner {
    /// The replica whose "key" this is.
    public let replica: ReplicaID

    /// A signer for `replica`.
    public init(replica: ReplicaID) { self.replica = replica }

    /// Signs `bytes` deterministically.
    public func sign(_ bytes: [UInt8]) -> Signature {
        SimulatedSignatureScheme.signature(replica: replica, bytes: bytes)
    }
}

/// Verifies `SimulatedSigner` signatures for `replicaCount` validators.
public struct SimulatedSignatureScheme: SignatureScheme {
    /// The number of validators.
    public let replicaCount: Int

    /// A scheme for `replicaCount` validators.
    public init(replicaCount: Int) { self.replicaCount = replicaCount }

    /// `true` if `signature` is `replica`'s signature over `bytes`.
    public func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool {
        guard replica.index >= 0, replica.index < replicaCount else { return false }
        return signature == Self.signature(replica: replica, bytes: bytes)
    }

    static func signature(replica: ReplicaID, bytes: [UInt8]) -> Signature {
        var h = Hasher256()
        h.update(Array("simulated-signature".utf8))
        h.update([UInt8(truncatingIfNeeded: replica.index >> 8), UInt8(truncatingIfNeeded: replica.index)])
        h.update(bytes)
        let d = h.finalize()
        return try! Signature(bytes: d.bytes + d.bytes)  // 64 bytes by construction
    }
}
