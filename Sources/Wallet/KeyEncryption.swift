import CSodium
import LedgerCrypto

/// How hard the keystore's Argon2id is to run (libsodium's named parameter sets).
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
        KeyEncryption.ensureReady()
        let ops: Int
        let mem: Int
        switch self {
        case .interactive: ops = crypto_pwhash_argon2id_opslimit_interactive(); mem = crypto_pwhash_argon2id_memlimit_interactive()
        case .moderate: ops = crypto_pwhash_argon2id_opslimit_moderate(); mem = crypto_pwhash_argon2id_memlimit_moderate()
        case .sensitive: ops = crypto_pwhash_argon2id_opslimit_sensitive(); mem = crypto_pwhash_argon2id_memlimit_sensitive()
        }
        return KDFParameters(
            salt: SecureRandom.bytes(count: KeyEncryption.saltByteCount), opsLimit: UInt64(ops), memLimitBytes: UInt64(mem))
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
}

/// Argon2id key derivation plus XChaCha20-Poly1305 sealing of a key's 32-byte seed (libsodium).
public enum KeyEncryption {
    /// Argon2id salt length.
    public static let saltByteCount = 16
    /// XChaCha20-Poly1305 nonce length.
    public static let nonceByteCount = 24
    /// Poly1305 tag length.
    public static let tagByteCount = 16
    /// Derived key length.
    static let keyByteCount = 32

    private static let ready: Bool = {
        precondition(sodium_init() >= 0, "sodium_init failed: libsodium is unusable on this machine")
        return true
    }()

    static func ensureReady() { _ = ready }

    /// `nil` when the parameters are acceptable; otherwise why not. A key file is input: absurd limits
    /// (a 64 GiB memory limit, a billion passes) are refused instead of run.
    public static func problem(with p: KDFParameters) -> String? {
        ensureReady()
        if p.salt.count != saltByteCount { return "salt must be \(saltByteCount) bytes, found \(p.salt.count)" }
        let opsMin = UInt64(crypto_pwhash_argon2id_opslimit_min())
        if p.opsLimit < opsMin || p.opsLimit > WalletLimits.kdfMaxOpsLimit {
            return "opslimit \(p.opsLimit) outside \(opsMin)…\(WalletLimits.kdfMaxOpsLimit)"
        }
        let memMin = UInt64(crypto_pwhash_argon2id_memlimit_min())
        if p.memLimitBytes < memMin || p.memLimitBytes > WalletLimits.kdfMaxMemLimitBytes {
            return "memlimit \(p.memLimitBytes) outside \(memMin)…\(WalletLimits.kdfMaxMemLimitBytes)"
        }
        return nil
    }

    /// Derives the 32-byte sealing key from `passphrase` (Argon2id v1.3). Callers zero the result after use.
    static func deriveKey(passphrase: [UInt8], parameters p: KDFParameters) throws(KeystoreError) -> [UInt8] {
        ensureReady()
        var key = [UInt8](repeating: 0, count: keyByteCount)
        guard p.salt.count == saltByteCount else { throw .keyDerivationFailed(memlimitBytes: p.memLimitBytes) }
        // libsodium wants a non-null pointer even for an empty passphrase.
        var buffer = passphrase.isEmpty ? [UInt8(0)] : passphrase
        defer { wipe(&buffer) }
        let length = UInt64(passphrase.count)
        let rc = buffer.withUnsafeBufferPointer { pw in
            p.salt.withUnsafeBufferPointer { salt in
                pw.withMemoryRebound(to: CChar.self) { pwc in
                    crypto_pwhash(
                        &key, UInt64(keyByteCount), pwc.baseAddress!, length, salt.baseAddress!,
                        UInt64(p.opsLimit), Int(p.memLimitBytes), crypto_pwhash_argon2id_ALG_ARGON2ID13)
                }
            }
        }
        guard rc == 0 else { throw .keyDerivationFailed(memlimitBytes: p.memLimitBytes) }
        return key
    }

    /// Encrypts `plaintext` under `key` with a fresh random nonce; returns (nonce, ciphertext ‖ tag).
    static func seal(_ plaintext: [UInt8], key: [UInt8], associatedData: [UInt8]) -> (nonce: [UInt8], ciphertext: [UInt8]) {
        ensureReady()
        let nonce = SecureRandom.bytes(count: nonceByteCount)
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var outLength: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &out, &outLength, plaintext, UInt64(plaintext.count), associatedData, UInt64(associatedData.count), nil,
            nonce, key)
        return (nonce, Array(out.prefix(Int(outLength))))
    }

    /// Decrypts and authenticates; `nil` when the key, nonce, associated data or ciphertext do not match.
    static func open(_ ciphertext: [UInt8], nonce: [UInt8], key: [UInt8], associatedData: [UInt8]) -> [UInt8]? {
        ensureReady()
        guard nonce.count == nonceByteCount, ciphertext.count >= tagByteCount else { return nil }
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        var outLength: UInt64 = 0
        let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
            &out, &outLength, nil, ciphertext, UInt64(ciphertext.count), associatedData, UInt64(associatedData.count),
            nonce, key)
        guard rc == 0 else { return nil }
        return Array(out.prefix(Int(outLength)))
    }

    /// Overwrites `bytes` with zeros in a way the optimiser keeps.
    static func wipe(_ bytes: inout [UInt8]) {
        let n = bytes.count
        bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { sodium_memzero(base, n) } }
    }
}
