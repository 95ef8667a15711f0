import LedgerCore
import LedgerCrypto
import PBFT

/// A fast stand-in for Ed25519 on consensus messages: a MAC, SipHash-2-4 keyed with a
/// per-replica 128-bit secret drawn from the run's seed (two independent tags under the two
/// halves of a 256-bit secret, 128 bits in all); the 64-byte signature is the tag four times.
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
        SimulationKeySigner.mac(secret: secret, bytes: bytes)
    }

    /// Two SipHash-2-4 tags of `bytes`, under secret words 0–1 and 2–3.
    static func tag(secret: [UInt8], bytes: [UInt8]) -> SIMD2<UInt64> {
        secret.withUnsafeBytes { key in
            bytes.withUnsafeBytes { message in
                var first = SipHash24(
                    k0: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    k1: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                var second = SipHash24(
                    k0: key.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                    k1: key.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
                return SIMD2(first.tag(message), second.tag(message))
            }
        }
    }

    static func mac(secret: [UInt8], bytes: [UInt8]) -> Signature {
        let tag = tag(secret: secret, bytes: bytes)
        var both = SIMD64<UInt8>()
        withUnsafeMutableBytes(of: &both) { out in
            for word in 0..<8 { out.storeBytes(of: tag[word % 2], toByteOffset: word * 8, as: UInt64.self) }
        }
        // `Signature` is a trivial 64-byte value; loading it straight from the bytes avoids the
        // unspecialised generic `init(bytes:)`, which dominated profiles (a sign per message).
        if MemoryLayout<Signature>.size == Signature.byteCount && _isPOD(Signature.self) {
            return withUnsafeBytes(of: both) { $0.loadUnaligned(as: Signature.self) }
        }
        return withUnsafeBytes(of: both) { try! Signature(bytes: $0) }
    }

    /// `true` when every word of `signature` is the matching word of `tag`.
    static func matches(_ signature: Signature, _ tag: SIMD2<UInt64>) -> Bool {
        signature.withUnsafeBytes { sig in
            var difference: UInt64 = 0
            for word in 0..<8 {
                difference |= sig.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self) ^ tag[word % 2]
            }
            return difference == 0
        }
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
        return SimulationKeySigner.matches(signature, SimulationKeySigner.tag(secret: secrets[replica.index], bytes: bytes))
    }
}
