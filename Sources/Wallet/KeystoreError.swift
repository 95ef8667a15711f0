/// Everything that can go wrong with the encrypted keystore; each message says what to do next.
public enum KeystoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key name breaks the naming rule (1–64 characters of `A–Z a–z 0–9 . _ -`, not starting with `.` or `-`).
    case invalidName(String, reason: String)
    /// No key file of that name in the keystore folder.
    case keyNotFound(name: String, folder: String)
    /// A key of that name already exists (never overwritten).
    case keyExists(name: String, path: String)
    /// The passphrase did not open the key (or the file's ciphertext, name or address was altered).
    case wrongPassphrase(name: String)
    /// The key file is not a valid keystore entry.
    case corruptFile(path: String, reason: String)
    /// The file uses a format version, KDF or cipher this wallet does not know.
    case unsupported(path: String, reason: String)
    /// A file-system call failed.
    case fileSystem(path: String, operation: String, errno: Int32)
    /// The seed to import is not 64 hex characters (32 bytes).
    case invalidSeed(reason: String)
    /// An empty passphrase was given where one is required.
    case emptyPassphrase
    /// No passphrase source: stdin is not a terminal and LEDGER_PASSPHRASE is not set.
    case noPassphraseSource
    /// The two passphrases typed for a new key differ.
    case passphraseMismatch
    /// libsodium could not derive the key (usually: not enough memory for the KDF's memory limit).
    case keyDerivationFailed(memlimitBytes: UInt64)

    public var description: String {
        switch self {
        case let .invalidName(name, reason):
            return "invalid key name '\(name)': \(reason) (use 1–64 characters of A–Z a–z 0–9 . _ -, not starting with . or -)"
        case let .keyNotFound(name, folder):
            return "no key named '\(name)' in \(folder); list keys with `wallet keys list` or create one with `wallet keys new \(name)`"
        case let .keyExists(name, path):
            return "a key named '\(name)' already exists (\(path)); pick another name or delete it first with `wallet keys delete \(name)`"
        case let .wrongPassphrase(name):
            return "wrong passphrase for key '\(name)' (or its file was modified); check LEDGER_PASSPHRASE or retype it"
        case let .corruptFile(path, reason):
            return "key file \(path) is damaged: \(reason); restore it from a backup or re-import the seed"
        case let .unsupported(path, reason):
            return "key file \(path) is not supported by this wallet: \(reason); use a newer wallet"
        case let .fileSystem(path, operation, code):
            return "\(operation) \(path) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .invalidSeed(reason):
            return "invalid seed: \(reason); give 64 hex characters (a 32-byte Ed25519 seed)"
        case .emptyPassphrase:
            return "empty passphrase; choose a non-empty passphrase"
        case .noPassphraseSource:
            return "a passphrase is needed but stdin is not a terminal; set LEDGER_PASSPHRASE or run interactively"
        case .passphraseMismatch:
            return "the passphrases do not match; try again"
        case let .keyDerivationFailed(mem):
            return "argon2id key derivation failed (memory limit \(mem / 1_048_576) MiB); free memory or use --kdf interactive"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
