import LedgerCore
import LedgerCrypto

/// The SQL side of `DeferredIndex`: writing slices and whole batches of index rows, the
/// `indexed_through` marker, and rebuilding the in-memory tail when a database is opened.
extension LedgerStore {
    /// Writes the next slice of `flush` (one contiguous key range of each index); the last slice
    /// also moves the marker. Runs inside the writer's transaction.
    static func writeSlice(of flush: DeferredIndex.Flush, in db: SQLiteDatabase) throws(StoreError) {
        for kind in DeferredIndex.Kind.allCases {
            let entries = flush.entries[kind.rawValue]
            try insertEntries(entries[flush.range(of: kind, slice: flush.slicesDone)], kind: kind, in: db)
        }
        if flush.slicesDone + 1 == flush.slices {
            try writeIndexedThrough(flush.throughHeight, in: db)
        }
    }

    /// Writes every entry in memory plus `extra` (per kind), sorted, and sets the marker to
    /// `height`. Runs inside the writer's transaction.
    static func writeEverything(
        _ index: DeferredIndex, extra: [[DeferredIndex.Entry]], through height: UInt64, in db: SQLiteDatabase
    ) throws(StoreError) {
        for kind in DeferredIndex.Kind.allCases {
            var entries = index.allEntries(kind)
            entries.append(contentsOf: extra[kind.rawValue])
            entries.sort()
            try insertEntries(entries[...], kind: kind, in: db)
        }
        try writeIndexedThrough(height, in: db)
    }

    /// The index entries of `blocks`' transactions, per kind (unsorted).
    static func entries(of blocks: some Sequence<Block>) -> [[DeferredIndex.Entry]] {
        var out: [[DeferredIndex.Entry]] = Array(repeating: [], count: DeferredIndex.Kind.allCases.count)
        for block in blocks {
            forEachEntry(of: block) { id, hashKey, senderKey, recipientKey in
                out[DeferredIndex.Kind.hash.rawValue].append(.init(key: hashKey, id: id))
                out[DeferredIndex.Kind.sender.rawValue].append(.init(key: senderKey, id: id))
                out[DeferredIndex.Kind.recipient.rawValue].append(.init(key: recipientKey, id: id))
            }
        }
        return out
    }

    /// Records a committed block's entries in memory (after its SQLite commit).
    static func record(_ block: Block, in index: inout DeferredIndex) {
        forEachEntry(of: block) { id, hashKey, senderKey, recipientKey in
            index.record(id: id, hashKey: hashKey, senderKey: senderKey, recipientKey: recipientKey)
        }
        index.recorded(through: block.header.height.rawValue)
    }

    /// The in-memory tail of a database being opened: the entries of every transaction above
    /// `meta.indexed_through`.
    static func loadDeferredIndex(
        _ db: SQLiteDatabase, configuration: StoreConfiguration
    ) throws(StoreError) -> DeferredIndex {
        let marker = try readMetaInt(db, key: Schema.Key.indexedThrough) ?? 0
        guard marker >= 0, UInt64(marker) <= StoreLimits.heightMax else {
            throw .invalidStoredData(what: "meta.indexed_through", detail: "\(marker) is out of range")
        }
        var index = DeferredIndex(
            indexedThrough: UInt64(marker), sealThreshold: configuration.indexBatchTransactions,
            slices: configuration.indexFlushSlices)
        let s = try db.statement("""
            SELECT id, hash_key, sender_key, recipient_key FROM transactions WHERE id > ? ORDER BY id
            """)
        defer { s.reset() }
        try s.bind(1, Int64(bitPattern: (UInt64(marker) << StoreLimits.transactionIndexBits)
            | ((1 << StoreLimits.transactionIndexBits) - 1)))
        while try s.step() {
            index.record(id: s.int64(0), hashKey: s.int64(1), senderKey: s.int64(2), recipientKey: s.int64(3))
        }
        if let head = try db.queryInt64("SELECT max(height) FROM blocks") {
            // A marker above the head would hide the rows between them from every lookup.
            guard marker <= head else {
                throw .invalidStoredData(
                    what: "meta.indexed_through", detail: "\(marker) is above the head block \(head)")
            }
            index.recorded(through: UInt64(bitPattern: head))
        }
        index.sealIfDue()
        return index
    }

    private static func forEachEntry(
        of block: Block, _ body: (_ id: Int64, _ hashKey: Int64, _ senderKey: Int64, _ recipientKey: Int64) -> Void
    ) {
        let base = block.header.height.rawValue << StoreLimits.transactionIndexBits
        for (index, tx) in block.transactions.enumerated() {
            body(Int64(bitPattern: base | UInt64(index)), IndexKey.of(tx.hash), IndexKey.of(tx.sender),
                 IndexKey.of(tx.recipient.publicKey))
        }
    }

    private static func insertEntries(
        _ entries: ArraySlice<DeferredIndex.Entry>, kind: DeferredIndex.Kind, in db: SQLiteDatabase
    ) throws(StoreError) {
        if entries.isEmpty { return }
        let s = try db.statement("INSERT OR IGNORE INTO \(kind.table) (key, id) VALUES (?, ?)")
        defer { s.reset() }
        for entry in entries {
            s.reset()
            try s.bind(1, entry.key)
            try s.bind(2, entry.id)
            try s.run()
        }
    }

    private static func writeIndexedThrough(_ height: UInt64, in db: SQLiteDatabase) throws(StoreError) {
        let s = try db.statement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        defer { s.reset() }
        try s.bind(1, Schema.Key.indexedThrough)
        try s.bind(2, height)
        try s.run()
    }
}
