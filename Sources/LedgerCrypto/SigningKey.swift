import CSodium

/// An Ed25519 signing key: the 32-byte seed plus its expanded secret and public key.
///
/// The secret bytes live in a class so they are zeroed with `sodium_memzero` when the
/// last copy goes away.
public struct SigningKey: Sendable {
    private final class Secret: @unchecked Sendable {
        // Immutable after init; only read. Zeroed on deinit.
        var seed: [UInt8]
        var expanded: [UInt8]  // libsodium's 64-byte secret key (seed ‖ public key)
        init(seed: [UInt8], expanded: [UInt8]) {
            self.seed = seed
            self.expanded = expanded
        }
        deinit {
            sodium_memzero(&seed, seed.count)
            sodium_memzero(&expanded, expanded.count)
        }
    }

    private let secret: Secret

    /// The matching public key.
    public let publicKey: PublicKey

    /// Number of bytes in a seed.
    public static let seedByteCount = 32

    /// Derives the key pair from a 32-byte seed (RFC 8032 "private key").
    public init<Bytes: Collection>(seed: Bytes) throws(CryptoError) where Bytes.Element == UInt8 {
        guard seed.count == SigningKey.seedByteCount else {
            throw .invalidLength(what: "seed", expected: SigningKey.seedByteCount, actual: seed.count)
        }
        Sodium.ensureReady()
        let seedBytes = Array(seed)
        var pk = InlineBytes32()
        var sk = [UInt8](repeating: 0, count: 64)
        withUnsafeMutableBytes(of: &pk) { p in
            _ = crypto_sign_seed_keypair(p.baseAddress!.assumingMemoryBound(to: UInt8.self), &sk, seedBytes)
        }
        secret = Secret(seed: seedBytes, expanded: sk)
        publicKey = PublicKey(storage: pk)
    }

    /// A fresh key pair from the operating system's secure random source.
    public static func generate() -> SigningKey {
        // A 32-byte seed is always the right length.
        try! SigningKey(seed: SecureRandom.bytes(count: seedByteCount))
    }

    /// The 32-byte seed. Handle with care: it is the whole secret.
    public var seed: [UInt8] { secret.seed }

    /// Signs `message` (deterministic Ed25519).
    public func sign(_ message: UnsafeRawBufferPointer) -> Signature {
        var sig = InlineBytes64()
        withUnsafeMutableBytes(of: &sig) { s in
            _ = crypto_sign_detached(
                s.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                secret.expanded)
        }
        return Signature(storage: sig)
    }

    /// Signs a byte array.
    public func sign(_ message: [UInt8]) -> Signature {
        message.withUnsafeBytes { sign($0) }
    }
}
