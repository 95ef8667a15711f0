import LedgerCore
import LedgerCrypto
import LedgerJSON

/// One keystore entry as stored on disk (JSON, version 1):
///
///     {"version": 1, "name": "alice", "address": "ldg1…", "public_key": "<hex>",
///      "kdf": {"name": "argon2id", "salt": "<hex 16 B>", "opslimit": 3, "memlimit": 268435456},
///      "cipher": {"name": "xchacha20poly1305", "nonce": "<hex 24 B>", "ciphertext": "<hex 32 B seed + 16 B tag>"}}
///
/// The associated data binds the ciphertext to the name and address: renaming the file's entry or swapping
/// in another address makes decryption fail instead of silently signing with an unexpected key.
public struct KeyFile: Equatable, Sendable {
    /// The only format version written and read.
    public static let version = 1
    /// KDF identifier.
    public static let kdfName = "argon2id"
    /// Cipher identifier.
    public static let cipherName = "xchacha20poly1305"

    /// The key's name (also the file name without `.json`).
    public var name: KeyName
    /// The account address (public, readable without the passphrase).
    public var address: Address
    /// Argon2id parameters.
    public var kdf: KDFParameters
    /// XChaCha20-Poly1305 nonce.
    public var nonce: [UInt8]
    /// Encrypted seed plus tag.
    public var ciphertext: [UInt8]

    /// Encrypts `key`'s seed under `passphrase`.
    public static func seal(
        key: SigningKey, name: KeyName, passphrase: [UInt8], strength: KDFStrength
    ) throws(KeystoreError) -> KeyFile {
        try seal(key: key, name: name, passphrase: passphrase, parameters: strength.makeParameters())
    }

    /// Encrypts `key`'s seed under `passphrase` with the given KDF parameters.
    public static func seal(
        key: SigningKey, name: KeyName, passphrase: [UInt8], parameters: KDFParameters
    ) throws(KeystoreError) -> KeyFile {
        guard !passphrase.isEmpty else { throw .emptyPassphrase }
        let address = Address(publicKey: key.publicKey)
        let sealingKey = try KeyEncryption.deriveKey(passphrase: passphrase, parameters: parameters)
        var seed = key.seed
        defer { SecureMemory.zero(&seed) }
        let sealed = sealingKey.seal(seed, associatedData: associatedData(name: name, address: address))
        return KeyFile(name: name, address: address, kdf: parameters, nonce: sealed.nonce, ciphertext: sealed.ciphertext)
    }

    /// Decrypts the seed; `.wrongPassphrase` if it does not authenticate.
    public func unlock(passphrase: [UInt8], path: String) throws(KeystoreError) -> SigningKey {
        if let problem = KeyEncryption.problem(with: kdf) { throw .corruptFile(path: path, reason: "kdf: \(problem)") }
        let sealingKey = try KeyEncryption.deriveKey(passphrase: passphrase, parameters: kdf)
        var seed: [UInt8]
        do {
            seed = try sealingKey.open(ciphertext, nonce: nonce, associatedData: KeyFile.associatedData(name: name, address: address))
        } catch {
            throw .wrongPassphrase(name: name.value)
        }
        defer { SecureMemory.zero(&seed) }
        let key: SigningKey
        do { key = try SigningKey(seed: seed) } catch {
            throw .corruptFile(path: path, reason: "decrypted seed has \(seed.count) bytes, expected 32")
        }
        guard key.publicKey == address.publicKey else {
            throw .corruptFile(path: path, reason: "decrypted key does not match the stored address")
        }
        return key
    }

    /// "ledger-keystore-v1" ‖ 0 ‖ name ‖ 0 ‖ address.
    static func associatedData(name: KeyName, address: Address) -> [UInt8] {
        Array("ledger-keystore-v1".utf8) + [0] + Array(name.value.utf8) + [0] + Array(address.string.utf8)
    }

    /// The JSON document written to disk.
    public func json() -> JSONValue {
        .object([
            ("version", .int(KeyFile.version)),
            ("name", .string(name.value)),
            ("address", .string(address.string)),
            ("public_key", .string(address.publicKey.hex)),
            ("kdf", .object([
                ("name", .string(KeyFile.kdfName)), ("salt", .string(Hex.encode(kdf.salt))),
                ("opslimit", .uint(kdf.opsLimit)), ("memlimit", .uint(kdf.memLimitBytes)),
            ])),
            ("cipher", .object([
                ("name", .string(KeyFile.cipherName)), ("nonce", .string(Hex.encode(nonce))),
                ("ciphertext", .string(Hex.encode(ciphertext))),
            ])),
        ])
    }

    /// Parses and checks a key file's bytes (everything but the ciphertext's authenticity).
    public static func decode(_ bytes: [UInt8], path: String) throws(KeystoreError) -> KeyFile {
        func bad(_ reason: String) -> KeystoreError { .corruptFile(path: path, reason: reason) }
        let doc: JSONValue
        do { doc = try JSONValue.parse(bytes, limits: JSONLimits(maxBytes: WalletLimits.keyFileMaxBytes, maxDepth: 8)) } catch { throw bad("\(error)") }
        guard case .object = doc else { throw bad("not a JSON object") }
        guard let version = doc["version"]?.intValue else { throw bad("missing \"version\"") }
        guard version == KeyFile.version else {
            throw .unsupported(path: path, reason: "format version \(version) (this wallet reads \(KeyFile.version))")
        }
        guard let nameText = doc["name"]?.stringValue else { throw bad("missing \"name\"") }
        let name: KeyName
        do { name = try KeyName(nameText) } catch { throw bad("\(error)") }
        guard let addressText = doc["address"]?.stringValue else { throw bad("missing \"address\"") }
        let address: Address
        do { address = try Address(string: addressText) } catch { throw bad("address: \(error)") }
        if let pk = doc["public_key"]?.stringValue, pk.lowercased() != address.publicKey.hex {
            throw bad("\"public_key\" does not match \"address\"")
        }
        guard let kdf = doc["kdf"], case .object = kdf else { throw bad("missing \"kdf\" object") }
        guard kdf["name"]?.stringValue == KeyFile.kdfName else {
            throw .unsupported(path: path, reason: "kdf '\(kdf["name"]?.stringValue ?? "?")' (this wallet uses \(KeyFile.kdfName))")
        }
        guard let salt = kdf["salt"]?.stringValue.flatMap(Hex.decode) else { throw bad("kdf.salt is not hex") }
        guard let ops = kdf["opslimit"]?.uint64Value, let mem = kdf["memlimit"]?.uint64Value else {
            throw bad("kdf.opslimit / kdf.memlimit missing or not integers")
        }
        let parameters = KDFParameters(salt: salt, opsLimit: ops, memLimitBytes: mem)
        if let problem = KeyEncryption.problem(with: parameters) { throw bad("kdf: \(problem)") }
        guard let cipher = doc["cipher"], case .object = cipher else { throw bad("missing \"cipher\" object") }
        guard cipher["name"]?.stringValue == KeyFile.cipherName else {
            throw .unsupported(path: path, reason: "cipher '\(cipher["name"]?.stringValue ?? "?")' (this wallet uses \(KeyFile.cipherName))")
        }
        guard let nonce = cipher["nonce"]?.stringValue.flatMap(Hex.decode), nonce.count == KeyEncryption.nonceByteCount else {
            throw bad("cipher.nonce must be \(KeyEncryption.nonceByteCount) bytes of hex")
        }
        let expected = SigningKey.seedByteCount + KeyEncryption.tagByteCount
        guard let ciphertext = cipher["ciphertext"]?.stringValue.flatMap(Hex.decode), ciphertext.count == expected else {
            throw bad("cipher.ciphertext must be \(expected) bytes of hex")
        }
        return KeyFile(name: name, address: address, kdf: parameters, nonce: nonce, ciphertext: ciphertext)
    }
}
