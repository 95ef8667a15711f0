/// Every bound of the ledger model and its wire formats, in one place.
///
/// A value that crosses a trust boundary (a client's transaction, a peer's batch, a genesis
/// file) is checked against one of these before anything is allocated for it. The relations
/// between them (a full batch fits in a frame, a block fits in a frame, …) are asserted by
/// `LimitsTests`; change a number here and that test tells you what else must move.
public enum Limits {
    // MARK: Transactions

    /// Largest memo a transaction may carry, in bytes.
    public static let memoMaxBytes = 256

    /// Shortest chain id, in bytes.
    public static let chainIDMinBytes = 1

    /// Longest chain id, in bytes. Chain ids are ASCII `[a-z0-9._-]`, starting with `[a-z0-9]`.
    public static let chainIDMaxBytes = 64

    /// Bytes of a signed transaction with an empty memo and a one-byte chain id.
    ///
    /// version(1) + chain id length(1) + chain id(1) + sender(32) + recipient(32) + amount(8)
    /// + nonce(8) + memo length(2) + signature(64).
    public static let transactionMinBytes = 1 + 1 + chainIDMinBytes + 32 + 32 + 8 + 8 + 2 + 64

    /// Bytes of the largest signed transaction (longest chain id, full memo).
    public static let transactionMaxBytes = 1 + 1 + chainIDMaxBytes + 32 + 32 + 8 + 8 + 2 + memoMaxBytes + 64

    // MARK: Batches

    /// Hard cap on transactions in one batch, whatever the genesis says.
    public static let batchMaxTransactionsHardCap = 8_192

    /// Hard cap on the encoded size of one batch in bytes, whatever the genesis says.
    public static let batchMaxBytesHardCap = 4 * 1024 * 1024

    /// Bytes of an empty batch: version(1) + view(8) + timestamp(8) + count(4).
    public static let batchHeaderBytes = 1 + 8 + 8 + 4

    // MARK: Blocks

    /// Bytes of an encoded block header.
    ///
    /// version(1) + height(8) + previous hash(32) + batch digest(32) + view(8) + proposer(4)
    /// + timestamp(8) + tx root(32) + state hash(32) + tx count(4).
    public static let blockHeaderBytes = 1 + 8 + 32 + 32 + 8 + 4 + 8 + 32 + 32 + 4

    /// Bytes of the largest encoded receipt: version(1) + tx hash(32) + index(4) + status(1)
    /// + reason(1) + two amounts(16).
    public static let receiptMaxBytes = 1 + 32 + 4 + 1 + 1 + 16

    /// Largest encoded block: header, count, and per transaction the transaction and its receipt.
    public static let blockMaxBytes =
        1 + blockHeaderBytes + 4 + batchMaxBytesHardCap + batchMaxTransactionsHardCap * receiptMaxBytes
        + batchMaxChanges * (1 + receiptMaxBytes)

    // MARK: Validators and genesis

    /// Fewest validators: 4, the smallest n with f ≥ 1 (`QuorumRule`).
    public static let validatorsMin = 4

    /// Most validators in a genesis (all-to-all PBFT traffic grows with n²).
    public static let validatorsMax = 100

    /// Most operations in one validator-set change (a set grows by at most this many per epoch).
    public static let validatorSetChangeMaxOperations = 16

    /// Most validator-set changes in one batch (one change per epoch can take effect anyway).
    public static let batchMaxChanges = 1

    /// Largest encoded validator-set change: the fixed part, the largest operations (adds with
    /// both addresses) and an approval from each of `validatorsMax` validators.
    public static let validatorSetChangeMaxBytes =
        1 + 1 + chainIDMaxBytes + 8 + 1 + validatorSetChangeMaxOperations * (1 + 32 + 2 * (2 + networkAddressMaxBytes))
        + 1 + validatorsMax * (32 + 64)

    /// Most accounts in a genesis file.
    public static let genesisAccountsMax = 100_000

    /// Largest genesis file accepted, in bytes.
    public static let genesisFileMaxBytes = 32 * 1024 * 1024

    /// Longest `host:port` network address in a genesis, in bytes (DNS name 253 + ":65535" + brackets).
    public static let networkAddressMaxBytes = 261

    /// Longest consensus checkpoint interval, in blocks.
    public static let checkpointIntervalMax: UInt64 = 10_000

    /// Largest watermark window, in sequence numbers.
    public static let windowMax: UInt64 = 100_000

    /// Longest batch delay, in milliseconds.
    public static let batchDelayMaxMs: UInt64 = 60_000

    /// Longest (initial) view-change timeout, in milliseconds.
    public static let viewChangeTimeoutMaxMs: UInt64 = 600_000

    /// Largest allowed clock drift between a primary's timestamp and a backup's clock, in milliseconds.
    public static let clockDriftMaxMs: UInt64 = 600_000

    // MARK: Network

    /// Largest P2P frame payload in bytes. A PRE-PREPARE carrying a full batch, and a block
    /// with its commit certificate sent during state transfer, must both fit.
    public static let p2pFrameMaxBytes = 16 * 1024 * 1024

    /// Room reserved in a frame for consensus framing and a commit certificate
    /// (`validatorsMax` signatures with ids and fields), in bytes.
    public static let p2pFrameOverheadBytes = 64 * 1024

    // MARK: Addresses

    /// Human-readable prefix of every address.
    public static let addressPrefix = "ldg"

    /// Characters in an address string: prefix + "1" + 52 data characters + 6 checksum characters.
    public static let addressStringLength = 3 + 1 + 52 + 6
}
