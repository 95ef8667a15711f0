import CSQLite
import LedgerCore
import LedgerCrypto
import Synchronization

/// The ledger's durable state in one SQLite file: blocks with their commit certificates,
/// transactions with receipts, accounts, checkpoints and the consensus log.
///
/// Concurrency: two connections, each behind its own `Mutex`. The writer applies blocks and
/// appends to the consensus log; the reader serves queries. The file is in WAL mode, so reads
/// proceed (on the last committed snapshot) while a block is being written.
///
/// Opening never repairs or resets a file: a damaged, truncated or non-SQLite file gives
/// `.corrupt`, a database of another chain `.foreignChain`, a newer schema `.schemaTooNew`.
/// A zero-length file holds no data and is initialised like a missing one (SQLite itself treats
/// it as an empty database; a crash while creating a new store can leave one behind).
public final class LedgerStore: Sendable {
    /// The database file.
    public let path: String
    /// The chain this database belongs to.
    public let chainID: String
    /// The genesis hash this database was initialised with.
    public let genesisHash: Digest
    /// How the database was opened.
    public let configuration: StoreConfiguration

    let writer: Mutex<SQLiteDatabase>
    let reader: Mutex<SQLiteDatabase>
    /// Lookup-index entries not yet in the index tables. Changed only with `writer` held (lock
    /// order: `writer`, then `deferred`); readers copy what they need out of it.
    let deferred: Mutex<DeferredIndex>
    /// Committed accounts in memory (lock order: `writer`, then `accountCache`, then `reader`).
    let accountCache: Mutex<AccountCache>
    /// This store's exclusive claim on the file: no other store writes it while this one is open.
    let lock: StoreLock

    private init(path: String, identity: ChainIdentity, configuration: StoreConfiguration,
        writer: consuming sending SQLiteDatabase, reader: consuming sending SQLiteDatabase,
        deferred: DeferredIndex, lock: StoreLock)
    {
        self.lock = lock
        self.deferred = Mutex(deferred)
        self.accountCache = Mutex(AccountCache(capacity: configuration.accountCacheCapacity))
        self.path = path
        self.chainID = identity.chainID
        self.genesisHash = identity.genesisHash
        self.configuration = configuration
        self.writer = Mutex(writer)
        self.reader = Mutex(reader)
    }

    /// Opens the database at `path`, creating and initialising it from `identity` if it does not
    /// exist (or is empty), and otherwise checking that it belongs to the same chain. Takes the
    /// file's lock first (`StoreLock`): while another store has it open this throws `.inUse`.
    public static func open(
        path: String, identity: ChainIdentity, configuration: StoreConfiguration = StoreConfiguration()
    ) throws(StoreError) -> LedgerStore {
        let lock = try StoreLock(databasePath: path)
        let writer = try SQLiteDatabase(
            path: path, readOnly: false, create: true, busyTimeoutMs: configuration.busyTimeoutMs)
        try prepareWriter(writer, path: path, identity: identity, configuration: configuration)
        let deferred = try loadDeferredIndex(writer, configuration: configuration)
        let reader = try SQLiteDatabase(
            path: path, readOnly: true, create: false, busyTimeoutMs: configuration.busyTimeoutMs)
        try reader.execute("PRAGMA cache_size=-\(max(configuration.cacheSizeKiB / 4, 1))")
        return LedgerStore(path: path, identity: identity, configuration: configuration, writer: writer, reader: reader,
                           deferred: deferred, lock: lock)
    }

    /// Closes both connections and gives up the file's lock. Later calls throw `.closed`. Also
    /// happens when the store is released.
    ///
    /// The reader closes first so that the writer is the last connection: SQLite then copies the
    /// WAL into the main file and removes it (a read-only connection cannot).
    public func close() {
        reader.withLock { $0.close() }
        writer.withLock { $0.close() }
        lock.release()
    }

    deinit { close() }

    // MARK: - Opening

    private static func prepareWriter(
        _ db: SQLiteDatabase, path: String, identity: ChainIdentity, configuration: StoreConfiguration
    ) throws(StoreError) {
        // The page size only takes effect when the file is new (see `StoreConfiguration.pageSizeBytes`).
        guard StoreConfiguration.isValidPageSize(configuration.pageSizeBytes) else {
            throw .cannotOpen(path: path, reason: "page size \(configuration.pageSizeBytes) is not a power of two in 512...65536")
        }
        try db.execute("PRAGMA page_size=\(configuration.pageSizeBytes)")
        // The first statement that reads the header: a non-SQLite file fails here with SQLITE_NOTADB.
        let mode = try db.queryText("PRAGMA journal_mode=WAL")
        guard mode?.lowercased() == "wal" else {
            throw .cannotOpen(path: path, reason: "could not switch to WAL mode (got \(mode ?? "nothing"))")
        }
        try db.execute("PRAGMA synchronous=\(configuration.synchronous.rawValue)")
        try db.execute("PRAGMA cache_size=-\(max(configuration.cacheSizeKiB, 1))")
        try db.execute("PRAGMA temp_store=MEMORY")
        // Checkpoint the WAL into the main file every ~40 MiB instead of every 4 MiB: pages the
        // indexes touch in many blocks are copied once per checkpoint, not once per block.
        try db.execute("PRAGMA wal_autocheckpoint=10000")

        let tableCount = try db.queryInt64("SELECT count(*) FROM sqlite_master") ?? 0
        if tableCount > 0 && configuration.checkIntegrityOnOpen {
            try checkIntegrity(db, path: path)
        }
        if tableCount > 0 {
            // An existing database: refuse a foreign or newer one before touching it.
            _ = try storedVersion(db, path: path)
            try checkIdentity(db, path: path, identity: identity)
        }
        try db.writeTransaction { () throws(StoreError) in
            // Read again under the write lock: another process may have initialised the file meanwhile.
            let version = try storedVersion(db, path: path)
            for migration in Schema.migrations where migration.version > version {
                try db.execute(migration.sql)
                let s = try db.statement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
                try s.bind(1, Schema.Key.schemaVersion)
                try s.bind(2, migration.version)
                try s.run()
            }
            if try readMetaBlob(db, key: Schema.Key.chainID) == nil {
                try initialise(db, identity: identity)
            }
        }
        try checkIdentity(db, path: path, identity: identity)
    }

    /// The schema version of the file: 0 when it has no tables at all, otherwise `meta.schema_version`.
    /// Throws when the file is some other database or comes from a newer binary.
    private static func storedVersion(_ db: SQLiteDatabase, path: String) throws(StoreError) -> Int64 {
        let tableCount = try db.queryInt64("SELECT count(*) FROM sqlite_master") ?? 0
        if tableCount == 0 { return 0 }
        let hasMeta = (try db.queryInt64("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'") ?? 0) > 0
        guard hasMeta else {
            throw .notALedgerDatabase(path: path, detail: "it has \(tableCount) schema objects but no meta table")
        }
        guard let version = try readMetaInt(db, key: Schema.Key.schemaVersion) else {
            throw .notALedgerDatabase(path: path, detail: "the meta table has no schema_version")
        }
        if version > Schema.currentVersion {
            throw .schemaTooNew(path: path, found: version, supported: Schema.currentVersion)
        }
        return version
    }

    private static func checkIntegrity(_ db: SQLiteDatabase, path: String) throws(StoreError) {
        let s = try db.statement("PRAGMA quick_check(5)")
        defer { s.reset() }
        var problems: [String] = []
        while try s.step() { problems.append(s.text(0)) }
        if problems != ["ok"] {
            throw .corrupt(path: path, detail: problems.joined(separator: "; "))
        }
    }

    private static func initialise(_ db: SQLiteDatabase, identity: ChainIdentity) throws(StoreError) {
        let meta = try db.statement("INSERT INTO meta (key, value) VALUES (?, ?)")
        try meta.bind(1, Schema.Key.chainID)
        try meta.bind(2, Array(identity.chainID.utf8))
        try meta.run()
        meta.reset()
        try meta.bind(1, Schema.Key.genesisHash)
        try meta.bind(2, identity.genesisHash)
        try meta.run()

        let header = identity.genesisHeader
        let block = try db.statement("INSERT INTO blocks (height, hash, header, certificate) VALUES (?, ?, ?, NULL)")
        try block.bind(1, header.height.rawValue)
        try block.bind(2, header.hash)
        try block.bind(3, header.encoded())
        try block.run()

        for account in identity.accounts {
            try upsert(db, account)
        }
    }

    private static func checkIdentity(_ db: SQLiteDatabase, path: String, identity: ChainIdentity) throws(StoreError) {
        guard let chainBytes = try readMetaBlob(db, key: Schema.Key.chainID),
            let hashBytes = try readMetaBlob(db, key: Schema.Key.genesisHash)
        else {
            throw .notALedgerDatabase(path: path, detail: "the meta table has no chain_id or genesis_hash")
        }
        let storedChain = String(decoding: chainBytes, as: UTF8.self)
        let storedHash: Digest
        do {
            storedHash = try Digest(bytes: hashBytes)
        } catch {
            throw .invalidStoredData(what: "genesis hash", detail: "\(error)")
        }
        if storedChain != identity.chainID || storedHash != identity.genesisHash {
            throw .foreignChain(
                path: path, storedChainID: storedChain, storedGenesisHash: storedHash,
                expectedChainID: identity.chainID, expectedGenesisHash: identity.genesisHash)
        }
    }

    static func readMetaBlob(_ db: SQLiteDatabase, key: String) throws(StoreError) -> [UInt8]? {
        let s = try db.statement("SELECT value FROM meta WHERE key = ?")
        defer { s.reset() }
        try s.bind(1, key)
        return try s.step() ? s.blob(0) : nil
    }

    static func readMetaInt(_ db: SQLiteDatabase, key: String) throws(StoreError) -> Int64? {
        let s = try db.statement("SELECT value FROM meta WHERE key = ?")
        defer { s.reset() }
        try s.bind(1, key)
        return try s.step() ? s.int64(0) : nil
    }

    static func upsert(_ db: SQLiteDatabase, _ account: Account) throws(StoreError) {
        let s = try db.statement("""
            INSERT INTO accounts (public_key, balance, nonce) VALUES (?, ?, ?)
            ON CONFLICT (public_key) DO UPDATE SET balance = excluded.balance, nonce = excluded.nonce
            """)
        try s.bind(1, account.publicKey)
        try s.bind(2, account.balance)
        try s.bind(3, account.nonce)
        try s.run()
    }
}
