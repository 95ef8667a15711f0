import LedgerCrypto
import PBFT

/// A fast stand-in for Ed25519 on consensus messages: keyed BLAKE2b-512 with a per-replica
/// secret drawn from the run's seed.
///
/// Within the simulator it is as unforgeable as a signature: the secrets live only in
/// `SimulationKeys` (held by the simulator's verifier) and in each replica's own
/// `SimulationKeySigner`; a Byzantine replica is given its own signer and nothing else, so it
/// cannot produce another replica's tag. Verification is about 100× cheaper than Ed25519,
/// which the sweep targets need. Clients' transactions still use real Ed25519.
public struct SimulationKeySigner: MessageSigner {
    private let secret: [UInt8]

    /// Signs with replica `replica`'s secret from `scheme`.
    public init(secret: [UInt8]) { self.secret = secret }

    public func sign(_ bytes: [UInt8]) -> Signature {
        // 64 bytes always form a Signature.
        try! Signature(bytes: Hash.blake2b(bytes, outputLength: Signature.byteCount, key: secret))
    }
}

/// Verifies `SimulationKeySigner` tags for a whole validator set.
public struct SimulationKeys: SignatureScheme {
    private let secrets: [[UInt8]]

    /// Draws one 32-byte secret per replica from `random`.
    public init(replicaCount: Int, random: inout SimulationRandom) {
        secrets = (0..<replicaCount).map { _ in
            var key: [UInt8] = []
            key.reserveCapacity(32)
            for _ in 0..<4 {
                let word = random.next()
                for shift in stride(from: 0, to: 64, by: 8) { key.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
            }
            return key
        }
    }

    public var replicaCount: Int { secrets.count }

    /// The signer of `replica` (give each replica only its own).
    public func signer(for replica: ReplicaID) -> SimulationKeySigner {
        SimulationKeySigner(secret: secrets[replica.index])
    }

    public func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool {
        guard secrets.indices.contains(replica.index) else { return false }
        let expected = Hash.blake2b(bytes, outputLength: Signature.byteCount, key: secrets[replica.index])
        return signature.withUnsafeBytes { ConstantTime.equals(Array($0), expected) }
    }
}
