import LedgerCore

/// Why a wallet command failed; each case maps to one process exit code (see `exitCode`).
public enum WalletError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The command line is wrong (missing or conflicting options).
    case usage(String)
    /// The text is not a valid `ldg1…` address (bad checksum, length, characters).
    case invalidAddress(String, AddressError)
    /// The text names neither an address nor a key in the keystore.
    case unknownAccount(String, folder: String)
    /// An amount, nonce, height or timeout is not a strict decimal in range.
    case invalidNumber(what: String, text: String, reason: String)
    /// A transaction hash is not 64 hex characters.
    case invalidHash(String)
    /// A memo is longer than the ledger allows.
    case memoTooLong(bytes: Int, maximum: Int)
    /// The keystore refused (missing key, wrong passphrase, damaged file…).
    case keystore(KeystoreError)
    /// Talking to the node failed (unreachable, timeout, HTTP error, bad answer) or the node answered with an error.
    case rpc(RPCClientError)
    /// The sender cannot pay: checked with `account` before sending, or reported by the node.
    case insufficientFunds(address: String, balance: UInt64, amount: UInt64)
    /// The nonce was used meanwhile (another transfer from the same key won the race).
    case nonceRace(address: String, detail: String)
    /// The node refused the transaction for another reason (`reason` is the node's `data.reason` or message).
    case rejected(reason: String, message: String)
    /// The transaction committed but its receipt says it failed.
    case transactionFailed(hash: String, height: UInt64, reason: String)
    /// The wait for the commit ran out; the transaction may still commit.
    case commitTimeout(hash: String, seconds: Double, node: String)
    /// The object does not exist on the node (block, tx, commit).
    case notFound(String)
    /// The node's answer is missing fields or inconsistent.
    case badAnswer(String)
    /// `wallet tx` could not verify the proof or certificate.
    case verificationFailed(String)

    /// The process exit code documented in `wallet --help`.
    public var exitCode: Int32 {
        switch self {
        case .usage, .invalidAddress, .unknownAccount, .invalidNumber, .invalidHash, .memoTooLong: return WalletExitCode.usage
        case let .rpc(e):
            switch e {
            case .server: return WalletExitCode.nodeError
            case .invalidURL: return WalletExitCode.usage
            default: return WalletExitCode.unreachable
            }
        case .insufficientFunds, .nonceRace, .rejected, .transactionFailed: return WalletExitCode.rejected
        case .commitTimeout: return WalletExitCode.timeout
        case .keystore: return WalletExitCode.keystore
        case .notFound, .badAnswer: return WalletExitCode.nodeError
        case .verificationFailed: return WalletExitCode.verification
        }
    }

    /// A short machine-readable kind for `--json` error output.
    public var kind: String {
        switch self {
        case .usage: "usage"
        case .invalidAddress: "invalid_address"
        case .unknownAccount: "unknown_account"
        case .invalidNumber: "invalid_number"
        case .invalidHash: "invalid_hash"
        case .memoTooLong: "memo_too_long"
        case let .keystore(e):
            switch e {
            case .wrongPassphrase: "wrong_passphrase"
            case .keyNotFound: "key_not_found"
            case .keyExists: "key_exists"
            default: "keystore"
            }
        case let .rpc(e):
            switch e {
            case .unreachable: "node_unreachable"
            case .timedOut: "request_timeout"
            case .server: "node_error"
            case .invalidURL: "invalid_url"
            default: "transport"
            }
        case .insufficientFunds: "insufficient_funds"
        case .nonceRace: "nonce_race"
        case .rejected: "rejected"
        case .transactionFailed: "transaction_failed"
        case .commitTimeout: "commit_timeout"
        case .notFound: "not_found"
        case .badAnswer: "bad_answer"
        case .verificationFailed: "verification_failed"
        }
    }

    public var description: String {
        switch self {
        case let .usage(s): return s
        case let .invalidAddress(text, e):
            if e == .invalidChecksum { return "address '\(text)' has a bad checksum (a typo?); copy it again" }
            return "'\(text)' is not a valid address: \(e)"
        case let .unknownAccount(text, folder):
            return "'\(text)' is neither an ldg1… address nor a key in \(folder); see `wallet keys list`"
        case let .invalidNumber(what, text, reason): return "invalid \(what) '\(text)': \(reason)"
        case let .invalidHash(text): return "'\(text)' is not a transaction hash (64 hex characters)"
        case let .memoTooLong(bytes, maximum): return "memo is \(bytes) bytes; at most \(maximum) allowed"
        case let .keystore(e): return e.description
        case let .rpc(e): return e.description
        case let .insufficientFunds(address, balance, amount):
            return "insufficient funds: \(address) has \(balance), the transfer needs \(amount)"
        case let .nonceRace(address, detail):
            return "nonce race for \(address): \(detail); another transaction from this key was accepted first — run the command again"
        case let .rejected(reason, message): return "the node rejected the transaction (\(reason)): \(message)"
        case let .transactionFailed(hash, height, reason):
            return "transaction \(hash) committed at height \(height) but FAILED: \(reason)"
        case let .commitTimeout(hash, seconds, node):
            return "transaction \(hash) was accepted but not committed within \(seconds) s; it was NOT re-sent. "
                + "Keep waiting with: wallet tx \(hash) --node \(node)"
        case let .notFound(what): return what
        case let .badAnswer(s): return "unexpected answer from the node: \(s)"
        case let .verificationFailed(s): return "NOT verified: \(s)"
        }
    }
}

/// The wallet's process exit codes.
public enum WalletExitCode {
    /// Success.
    public static let ok: Int32 = 0
    /// Usage error or invalid input (bad address checksum, amount, name).
    public static let usage: Int32 = 1
    /// Node unreachable, connection broke or request timed out.
    public static let unreachable: Int32 = 2
    /// Transaction rejected by the node, or committed with a failed receipt (insufficient funds, nonce race…).
    public static let rejected: Int32 = 3
    /// Timed out waiting for the commit (the transaction may still commit).
    public static let timeout: Int32 = 4
    /// Keystore or passphrase problem.
    public static let keystore: Int32 = 5
    /// The node answered with an error (not found, invalid params, internal) or an unexpected answer.
    public static let nodeError: Int32 = 6
    /// `wallet tx`: the Merkle proof or commit certificate did not verify.
    public static let verification: Int32 = 7
}
