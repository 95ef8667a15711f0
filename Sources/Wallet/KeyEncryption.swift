import LedgerCrypto

/// How hard the keystore's Argon2id is to run (libsodium's named parameter sets, `Argon2id.Cost`).
///
/// Cost on a small 2-core machine, per unlock: `interactive` ≈ 0.1–0.2 s and 64 MiB of memory;
/// `moderate` ≈ 0.5–1 s and 256 MiB (the default: a stolen key file costs an attacker that much per guess);
/// `sensitive` ≈ 3–5 s and 1 GiB.
public enum KDFStrength: String, CaseIterable, Sendable {
    /// opslimit 2, memlimit 64 MiB.
    case interactive
    /// opslimit 3, memlimit 256 MiB.
    case moderate
    /// opslimit 4, memlimit 1 GiB.
    case sensitive

    /// The parameters for this strength with a fresh random salt.
    public func makeParameters() -> KDFParameters {
        let cost: Argon2id.Cost = switch self {
        case .interactive: .interactive
        case .moderate: .moderate
        case .sensitive: .sensitive
        }
        return KDFParameters(
            salt: SecureRandom.bytes(count: KeyEncryption.saltByteCount), opsLimit: cost.opsLimit, memLimitBytes: cost.memLimitBytes)
    }
}

/// Argon2id parameters stored in a key file.
public struct KDFParameters: Hashable, Sendable {
    /// 16 random bytes.
    public var salt: [UInt8]
    /// Argon2id passes.
    public var opsLimit: UInt64
    /// Argon2id memory in bytes.
    public var memLimitBytes: UInt64

    /// Parameters from their parts (not checked; `KeyEncryption` checks bounds before use).
    public init(salt: [UInt8], opsLimit: UInt64, memLimitBytes: UInt64) {
        self.salt = salt
        self.opsLimit = opsLimit
        self.memLimitBytes = memLimitBytes
    }

    /// The Argon2id cost these parameters name.
    var cost: Argon2id.Cost { Argon2id.Cost(opsLimit: opsLimit, memLimitBytes: memLimitBytes) }
}

/// The keystore's use of LedgerCrypto's Argon2id and XChaCha20-Poly1305 (`SealingKey`): the sizes a
/// key file holds and the bounds on the KDF parameters a file may ask for.
public enum KeyEncryption {
    /// Argon2id salt length.
    public static let saltByteCount = Argon2id.saltByteCount
    /// XChaCha20-Poly1305 nonce length.
    public static let nonceByteCount = SealingKey.nonceByteCount
    /// Poly1305 tag length.
    public static let tagByteCount = SealingKey.tagByteCount

    /// `nil` when the parameters are acceptable; otherwise why not. A key file is input: absurd limits
    /// (a 64 GiB memory limit, a billion passes) are refused instead of run.
    public static func problem(with p: KDFParameters) -> String? {
        if p.salt.count != saltByteCount { return "salt must be \(saltByteCount) bytes, found \(p.salt.count)" }
        let minimum = Argon2id.Cost.minimum
        if p.opsLimit < minimum.opsLimit || p.opsLimit > WalletLimits.kdfMaxOpsLimit {
            return "opslimit \(p.opsLimit) outside \(minimum.opsLimit)…\(WalletLimits.kdfMaxOpsLimit)"
        }
        if p.memLimitBytes < minimum.memLimitBytes || p.memLimitBytes > WalletLimits.kdfMaxMemLimitBytes {
            return "memlimit \(p.memLimitBytes) outside \(minimum.memLimitBytes)…\(WalletLimits.kdfMaxMemLimitBytes)"
        }
        return nil
    }

    /// Derives the sealing key from `passphrase` (Argon2id v1.3); the key zeroes itself when dropped.
    static func deriveKey(passphrase: [UInt8], parameters p: KDFParameters) throws(KeystoreError) -> SealingKey {
        do {
            return try Argon2id.deriveKey(passphrase: passphrase, salt: p.salt, cost: p.cost)
        } catch {
            throw .keyDerivationFailed(memlimitBytes: p.memLimitBytes)
        }
    }
}
