import LedgerCore
import LedgerJSON

/// Every bound the wallet enforces, in one place.
public enum WalletLimits {
    /// Longest key name (characters).
    public static let keyNameMaxLength = 64
    /// Largest key file read (bytes); real ones are under 1 KiB.
    public static let keyFileMaxBytes = 64 * 1024
    /// Most key files listed from one folder.
    public static let keystoreMaxEntries = 10_000
    /// Highest Argon2id opslimit accepted from a key file.
    public static let kdfMaxOpsLimit: UInt64 = 16
    /// Highest Argon2id memory limit accepted from a key file (1 GiB = libsodium's "sensitive").
    public static let kdfMaxMemLimitBytes: UInt64 = 1 << 30
    /// Longest passphrase read (bytes).
    public static let passphraseMaxBytes = 4096
    /// Largest HTTP response body the RPC client accepts (bytes).
    public static let responseMaxBytes = 16 * 1024 * 1024
    /// Deepest JSON nesting accepted in a node's answer.
    public static let jsonMaxDepth = 64
    /// The bounds a node's answer is parsed within: `responseMaxBytes`, `jsonMaxDepth`, and arrays as long as a
    /// genesis's account list.
    public static let json = JSONLimits(maxBytes: responseMaxBytes, maxDepth: jsonMaxDepth, maxEntries: Limits.genesisAccountsMax)
    /// How long `broadcast` keeps resending a transfer the node refused as "busy" or "nonce_gap", s.
    public static let broadcastRetrySeconds = 10.0
    /// Default time for one RPC request, once connected (ms).
    public static let requestTimeoutMs: Int64 = 10_000
    /// Default time to open a TCP connection (ms).
    public static let connectTimeoutMs: Int64 = 3_000
    /// Default time `wallet transfer` waits for the commit (s).
    public static let commitWaitDefaultSeconds: Double = 30
    /// Longest `--timeout` accepted for waiting (s).
    public static let commitWaitMaxSeconds: Double = 3_600
    /// Interval between `tx` polls while waiting for a commit (ms).
    public static let commitPollIntervalMs: Int64 = 200
    /// Most blocks scanned per poll when the node has no `tx` method (fallback search by height).
    public static let fallbackScanBlocksPerPoll: UInt64 = 50
}
