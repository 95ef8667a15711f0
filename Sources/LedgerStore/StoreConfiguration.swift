/// How the store opens its database file.
public struct StoreConfiguration: Hashable, Sendable {
    /// SQLite's `synchronous` setting for committed blocks.
    public enum Synchronous: String, Hashable, Sendable {
        /// Every commit is fsynced before `apply` returns: a committed block survives power loss.
        /// The default, because a replica that forgets a block it reported as executed can diverge
        /// from the checkpoint proofs it signed.
        case full = "FULL"
        /// In WAL mode, commits are fsynced only at checkpoints: much faster, and the database stays
        /// consistent after a power loss, but the last few blocks may be lost (they are fetched again
        /// from peers by state transfer). The consensus log is still written with FULL.
        case normal = "NORMAL"
    }

    /// Durability of block commits (see `Synchronous`).
    public var synchronous: Synchronous
    /// How long a connection waits for a lock held by another connection before failing, in milliseconds.
    public var busyTimeoutMs: Int32
    /// SQLite page cache of the writer connection, in KiB (the reader gets a quarter). Block
    /// apply touches random pages of the hash, sender and recipient indexes; a cache that holds
    /// them avoids re-reading pages from the OS on every insert.
    public var cacheSizeKiB: Int
    /// SQLite page size for a NEW database file, bytes (a power of two in 512...65536; an existing file
    /// keeps the size it was created with). Smaller pages mean less written per random index insert
    /// once the indexes outgrow the cache; larger ones, shallower trees.
    public var pageSizeBytes: Int
    /// Run `PRAGMA quick_check` when opening an existing database, so a damaged file is reported
    /// at start-up rather than at the first read of a damaged page. Costs one pass over the file.
    public var checkIntegrityOnOpen: Bool
    /// Transactions whose lookup-index entries (by hash, sender, recipient) collect in memory
    /// before they are written to SQLite as one sorted batch (`DeferredIndex`). Larger batches
    /// touch each index page fewer times; memory and the rebuild on open grow with it.
    public var indexBatchTransactions: Int
    /// Block commits a sealed batch of index entries is spread over (one key range each), so that
    /// no single commit carries the whole batch.
    public var indexFlushSlices: Int
    /// Committed accounts kept in memory for block execution and admission (`AccountCache`).
    public var accountCacheCapacity: Int

    /// The defaults: FULL durability, a 5 s busy timeout, a 64 MiB cache, integrity check on open.
    public init(
        synchronous: Synchronous = .full, busyTimeoutMs: Int32 = 5_000, cacheSizeKiB: Int = 65_536,
        checkIntegrityOnOpen: Bool = true, pageSizeBytes: Int = StoreConfiguration.defaultPageSizeBytes,
        indexBatchTransactions: Int = StoreConfiguration.defaultIndexBatchTransactions,
        indexFlushSlices: Int = StoreConfiguration.defaultIndexFlushSlices,
        accountCacheCapacity: Int = 65_536
    ) {
        self.accountCacheCapacity = max(accountCacheCapacity, 1)
        self.indexBatchTransactions = max(indexBatchTransactions, 1)
        self.indexFlushSlices = max(indexFlushSlices, 1)
        self.pageSizeBytes = pageSizeBytes
        self.synchronous = synchronous
        self.busyTimeoutMs = busyTimeoutMs
        self.cacheSizeKiB = cacheSizeKiB
        self.checkIntegrityOnOpen = checkIntegrityOnOpen
    }

    /// The page size new ledgers are created with: 8 KiB. Every random-key index insert dirties a
    /// whole page, and the WAL writes whole pages, so once the indexes outgrow a few pages the bytes
    /// written per transaction grow with the page size. `ledger-bench micro --page-sizes 4096,8192,16384`
    /// on a 2-core machine: 100 tx/blocks × 1,500 (150k tx) 32k / 28k / 22k tx/s execute + apply;
    /// 1,000 tx/blocks × 1,500 (1.5M tx) 17k / 23k / 21k tx/s. 8 KiB is close to the best in both.
    public static let defaultPageSizeBytes = 8_192

    /// Index entries per sorted batch by default (see `indexBatchTransactions`).
    public static let defaultIndexBatchTransactions = 32_768
    /// Commits per batch by default (see `indexFlushSlices`).
    public static let defaultIndexFlushSlices = 8

    /// Whether `bytes` is a page size SQLite accepts.
    public static func isValidPageSize(_ bytes: Int) -> Bool { bytes >= 512 && bytes <= 65_536 && bytes & (bytes - 1) == 0 }
}
