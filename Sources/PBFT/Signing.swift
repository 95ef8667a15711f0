import LedgerCore
import LedgerCrypto

/// Abstract signing, so the simulator can use a fast scheme and the node Ed25519.

/// Signs consensus messages for one replica. The replica calls it inside `handle`; it must
/// be deterministic (Ed25519 is).
public protocol MessageSigner: Sendable {
    /// Signs the canonical signing bytes of a message.
    func sign(_ bytes: [UInt8]) -> Signature
}

/// Checks any validator's signature.
public protocol SignatureScheme: Sendable {
    /// The number of validators `n`; ids `0..<n` are valid signers.
    var replicaCount: Int { get }
    /// `true` if `signature` is `replica`'s valid signature over `bytes`.
    func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool
}

/// Ed25519 signing with a validator's `SigningKey`.
public struct Ed25519MessageSigner: MessageSigner {
    private let key: SigningKey

    /// Signs with `key`.
    public init(key: SigningKey) { self.key = key }

    /// Signs `bytes` deterministically.
    public func sign(_ bytes: [UInt8]) -> Signature { key.sign(bytes) }
}

/// Ed25519 verification against the validator set's public keys (index = replica id).
public struct Ed25519ValidatorKeys: SignatureScheme {
    /// The validators' public keys; `publicKeys[i]` belongs to `ReplicaID(i)`.
    public let publicKeys: [PublicKey]

    /// Uses `publicKeys` in validator order.
    public init(publicKeys: [PublicKey]) { self.publicKeys = publicKeys }

    /// The number of validators.
    public var replicaCount: Int { publicKeys.count }

    /// `true` if `signature` is `replica`'s signature over `bytes`.
    public func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool {
        guard publicKeys.indices.contains(replica.index) else { return false }
        return publicKeys[replica.index].isValidSignature(signature, for: bytes)
    }
}
