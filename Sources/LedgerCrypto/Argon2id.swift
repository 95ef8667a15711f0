import CSodium

/// Argon2id v1.3 password hashing (libsodium `crypto_pwhash`): turns a passphrase into a
/// `SealingKey`, slowly on purpose, so each guess at a stolen key file costs an attacker the
/// same time and memory as one unlock.
public enum Argon2id {
    /// Number of bytes in a salt.
    public static let saltByteCount = 16

    /// How hard one derivation is: passes over memory and the memory used.
    public struct Cost: Hashable, Sendable {
        /// Passes over memory (libsodium's opslimit).
        public var opsLimit: UInt64
        /// Memory used, in bytes (libsodium's memlimit).
        public var memLimitBytes: UInt64

        /// A cost from its parts (not checked here; `deriveKey` refuses what libsodium cannot run).
        public init(opsLimit: UInt64, memLimitBytes: UInt64) {
            self.opsLimit = opsLimit
            self.memLimitBytes = memLimitBytes
        }

        /// libsodium's interactive cost: opslimit 2, 64 MiB.
        public static var interactive: Cost {
            Cost(crypto_pwhash_argon2id_opslimit_interactive(), crypto_pwhash_argon2id_memlimit_interactive())
        }
        /// libsodium's moderate cost: opslimit 3, 256 MiB.
        public static var moderate: Cost {
            Cost(crypto_pwhash_argon2id_opslimit_moderate(), crypto_pwhash_argon2id_memlimit_moderate())
        }
        /// libsodium's sensitive cost: opslimit 4, 1 GiB.
        public static var sensitive: Cost {
            Cost(crypto_pwhash_argon2id_opslimit_sensitive(), crypto_pwhash_argon2id_memlimit_sensitive())
        }
        /// The least cost libsodium accepts (opslimit 1, 8 KiB); callers set their own upper bounds.
        public static var minimum: Cost { Cost(crypto_pwhash_argon2id_opslimit_min(), crypto_pwhash_argon2id_memlimit_min()) }

        /// A cost from libsodium's constants (plain values; no initialisation needed to read them).
        private init(_ opsLimit: Int, _ memLimitBytes: Int) {
            self.init(opsLimit: UInt64(opsLimit), memLimitBytes: UInt64(memLimitBytes))
        }
    }

    /// Derives a 32-byte `SealingKey` from `passphrase` and a `saltByteCount`-byte `salt`.
    /// Throws `.invalidLength` for another salt length and `.keyDerivationFailed` when libsodium
    /// cannot run `cost` (out of its range or out of memory). The passphrase copy is zeroed.
    public static func deriveKey(passphrase: [UInt8], salt: [UInt8], cost: Cost) throws(CryptoError) -> SealingKey {
        guard salt.count == saltByteCount else {
            throw .invalidLength(what: "Argon2id salt", expected: saltByteCount, actual: salt.count)
        }
        guard let memLimit = Int(exactly: cost.memLimitBytes) else {
            throw .keyDerivationFailed(memLimitBytes: cost.memLimitBytes)
        }
        Sodium.ensureReady()
        var key = [UInt8](repeating: 0, count: SealingKey.byteCount)
        defer { SecureMemory.zero(&key) }
        // libsodium wants a non-null pointer even for an empty passphrase.
        var buffer = passphrase.isEmpty ? [UInt8(0)] : passphrase
        defer { SecureMemory.zero(&buffer) }
        let length = UInt64(passphrase.count)
        let rc = buffer.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                pw.withMemoryRebound(to: CChar.self) { pwc in
                    crypto_pwhash(
                        &key, UInt64(SealingKey.byteCount), pwc.baseAddress!, length, s.baseAddress!,
                        cost.opsLimit, memLimit, crypto_pwhash_argon2id_ALG_ARGON2ID13)
                }
            }
        }
        guard rc == 0 else { throw .keyDerivationFailed(memLimitBytes: cost.memLimitBytes) }
        return try SealingKey(bytes: key)
    }
}
