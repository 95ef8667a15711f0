import LedgerCore
import LedgerCrypto

extension LedgerStore {
    /// The stored head: the highest block (height 0 = genesis only).
    public func head() throws(StoreError) -> ChainHead {
        try read { (db) throws(StoreError) -> ChainHead in
            let s = try db.statement("SELECT header FROM blocks ORDER BY height DESC LIMIT 1")
            defer { s.reset() }
            guard try s.step() else {
                throw .invalidStoredData(what: "chain", detail: "no blocks at all, not even genesis")
            }
            return ChainHead(header: try Self.decodeHeader(s.blob(0), what: "head header"))
        }
    }

    /// The block at `height`, or `nil` when none is stored there.
    public func block(at height: Height) throws(StoreError) -> Block? {
        try read { (db) throws(StoreError) -> Block? in
            try db.readTransaction { () throws(StoreError) -> Block? in
                let s = try db.statement("SELECT header FROM blocks WHERE height = ?")
                defer { s.reset() }
                try s.bind(1, height.rawValue)
                guard try s.step() else { return nil }
                let header = try Self.decodeHeader(s.blob(0), what: "header of block \(height.rawValue)")
                s.reset()
                return try Self.loadBody(db, header: header)
            }
        }
    }

    /// The block with `hash`, or `nil` when no stored block has it.
    public func block(hash: Digest) throws(StoreError) -> Block? {
        try read { (db) throws(StoreError) -> Block? in
            try db.readTransaction { () throws(StoreError) -> Block? in
                let s = try db.statement("SELECT header FROM blocks WHERE hash = ?")
                defer { s.reset() }
                try s.bind(1, hash)
                guard try s.step() else { return nil }
                let header = try Self.decodeHeader(s.blob(0), what: "header of block \(hash.hex)")
                s.reset()
                return try Self.loadBody(db, header: header)
            }
        }
    }

    /// Up to `count` consecutive headers starting at `start` (fewer past the head).
    /// `count` above `StoreLimits.headersPerCallMax` is `.rangeTooLarge`.
    public func headers(from start: Height, count: Int) throws(StoreError) -> [BlockHeader] {
        guard count <= StoreLimits.headersPerCallMax else {
            throw .rangeTooLarge(requested: count, maximum: StoreLimits.headersPerCallMax)
        }
        guard count > 0, start.rawValue <= StoreLimits.heightMax else { return [] }
        return try read { (db) throws(StoreError) -> [BlockHeader] in
            let s = try db.statement("SELECT header FROM blocks WHERE height >= ? ORDER BY height LIMIT ?")
            defer { s.reset() }
            try s.bind(1, start.rawValue)
            try s.bind(2, Int64(count))
            var headers: [BlockHeader] = []
            while try s.step() {
                headers.append(try Self.decodeHeader(s.blob(0), what: "block header"))
            }
            return headers
        }
    }

    /// The commit certificate stored with the block at `height`, or `nil` (no block, or none stored).
    public func certificate(at height: Height) throws(StoreError) -> [UInt8]? {
        try read { (db) throws(StoreError) -> [UInt8]? in
            let s = try db.statement("SELECT certificate FROM blocks WHERE height = ?")
            defer { s.reset() }
            try s.bind(1, height.rawValue)
            guard try s.step(), !s.isNull(0) else { return nil }
            return s.blob(0)
        }
    }

    /// The committed transaction with `hash`, its receipt and position, or `nil`.
    public func transaction(hash: Digest) throws(StoreError) -> StoredTransaction? {
        let key = IndexKey.of(hash)
        // Memory first, then the tables: entries leave memory only after the tables hold them.
        let recent = deferred.withLock { $0.ids(.hash, key: key) }
        return try read { (db) throws(StoreError) -> StoredTransaction? in
            try db.readTransaction { () throws(StoreError) -> StoredTransaction? in
                // The earliest occurrence: a later copy of the same transaction can only have failed.
                let s = try db.statement("""
                    SELECT t.height, t.idx, t.raw, t.receipt, t.id FROM tx_by_hash x JOIN transactions t ON t.id = x.id
                    WHERE x.key = ? AND t.hash = ? ORDER BY x.id LIMIT 1
                    """)
                defer { s.reset() }
                try s.bind(1, key)
                try s.bind(2, hash)
                let indexed = try s.step() ? (id: s.int64(4), tx: try Self.storedTransaction(s)) : nil
                let byID = try db.statement(
                    "SELECT height, idx, raw, receipt FROM transactions WHERE id = ? AND hash = ?")
                defer { byID.reset() }
                for id in recent where id < indexed?.id ?? .max {
                    byID.reset()
                    try byID.bind(1, id)
                    try byID.bind(2, hash)
                    if try byID.step() { return try Self.storedTransaction(byID) }
                }
                return indexed?.tx
            }
        }
    }

    /// The account with `key` as of the last committed block, or `nil` if it never received anything.
    public func loadAccount(_ key: PublicKey) throws(StoreError) -> Account? {
        try read { (db) throws(StoreError) -> Account? in
            try Self.loadAccount(db, key)
        }
    }

    /// An in-memory copy of the committed accounts among `keys` (one snapshot), for running
    /// the pure executor without touching the database mid-execution:
    /// `StateTransition.execute(batch:…, accounts: try store.accounts(for: keys))`.
    ///
    /// When every key is in the account cache, SQLite is not asked at all: this store holds the
    /// file's lock (`StoreLock`), so the only writes are its own, and each of them brings the cache
    /// to the new head before the writer lock is released. (A profile at 1,000 tx/s had 5 % of a
    /// node's CPU in the read transaction that only confirmed the cache's height.)
    public func accounts(for keys: some Collection<PublicKey>) throws(StoreError) -> AccountState {
        // The cache lock is held throughout, so no block's changes reach the cache meanwhile; the
        // cache is used only when it is at the height of this read's snapshot.
        try accountCache.withLock { (cache: inout AccountCache) throws(StoreError) -> AccountState in
            if let cached = cache.allCached(keys) { return AccountState(keyed: cached) }
            return try read { (db) throws(StoreError) -> AccountState in
                try db.readTransaction { () throws(StoreError) -> AccountState in
                    guard let head = try db.queryInt64("SELECT max(height) FROM blocks") else {
                        throw .invalidStoredData(what: "chain", detail: "no blocks at all, not even genesis")
                    }
                    let height = UInt64(bitPattern: head)
                    var found: [PublicKey: Account] = [:]
                    var loaded: [Account] = []
                    for key in keys where found[key] == nil {
                        if let account = cache.account(key, at: height) {
                            found[key] = account
                        } else if let account = try Self.loadAccount(db, key) {
                            found[key] = account
                            loaded.append(account)
                        }
                    }
                    cache.remember(loaded, at: height)
                    return AccountState(keyed: found)
                }
            }
        }
    }

    /// Transactions sent by `sender`, newest first, at most `limit`, strictly older than `before`
    /// (pass the last result's `position` to get the next page).
    public func transactions(
        sender: PublicKey, before: TransactionPosition? = nil, limit: Int
    ) throws(StoreError) -> [StoredTransaction] {
        try page(column: "sender", key: sender, before: before, limit: limit)
    }

    /// Transactions received by `recipient`, newest first, paged like `transactions(sender:…)`.
    public func transactions(
        recipient: PublicKey, before: TransactionPosition? = nil, limit: Int
    ) throws(StoreError) -> [StoredTransaction] {
        try page(column: "recipient", key: recipient, before: before, limit: limit)
    }

    // MARK: - Helpers

    /// Runs `body` on the reader connection.
    func read<T: Sendable>(_ body: (SQLiteDatabase) throws(StoreError) -> T) throws(StoreError) -> T {
        try reader.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> T in try body(db) }
    }

    private func page(
        column: String, key: PublicKey, before: TransactionPosition?, limit: Int
    ) throws(StoreError) -> [StoredTransaction] {
        guard limit <= StoreLimits.transactionsPerPageMax else {
            throw .rangeTooLarge(requested: limit, maximum: StoreLimits.transactionsPerPageMax)
        }
        guard limit > 0 else { return [] }
        var cursor = Int64.max
        if let before {
            // Positions beyond the addressable range sort after everything stored.
            if before.height.rawValue <= StoreLimits.heightMax {
                cursor = Int64(bitPattern: before.height.rawValue << StoreLimits.transactionIndexBits | UInt64(before.index))
            }
        }
        let kind: DeferredIndex.Kind = column == "sender" ? .sender : .recipient
        let indexKey = IndexKey.of(key)
        // Memory first, then the tables: entries leave memory only after the tables hold them.
        let recent = deferred.withLock { $0.ids(kind, key: indexKey) }
        return try read { (db) throws(StoreError) -> [StoredTransaction] in
            try db.readTransaction { () throws(StoreError) -> [StoredTransaction] in
                var found: [(id: Int64, tx: StoredTransaction)] = []
                let byID = try db.statement(
                    "SELECT height, idx, raw, receipt FROM transactions WHERE id = ? AND \(column) = ?")
                defer { byID.reset() }
                for id in recent.reversed() where id < cursor {
                    byID.reset()
                    try byID.bind(1, id)
                    try byID.bind(2, key)
                    if try byID.step() {
                        found.append((id, try Self.storedTransaction(byID)))
                        if found.count == limit { break }
                    }
                }
                let s = try db.statement("""
                    SELECT t.height, t.idx, t.raw, t.receipt, t.id FROM \(kind.table) x JOIN transactions t ON t.id = x.id
                    WHERE x.key = ? AND t.\(column) = ? AND x.id < ? ORDER BY x.id DESC LIMIT ?
                    """)
                defer { s.reset() }
                try s.bind(1, indexKey)
                try s.bind(2, key)
                try s.bind(3, cursor)
                try s.bind(4, Int64(limit))
                let fromMemory = Set(found.map(\.id))
                while try s.step() {
                    let id = s.int64(4)
                    if !fromMemory.contains(id) { found.append((id, try Self.storedTransaction(s))) }
                }
                found.sort { $0.id > $1.id }
                return found.prefix(limit).map(\.tx)
            }
        }
    }

    static func loadAccount(_ db: SQLiteDatabase, _ key: PublicKey) throws(StoreError) -> Account? {
        let s = try db.statement("SELECT balance, nonce FROM accounts WHERE public_key = ?")
        defer { s.reset() }
        try s.bind(1, key)
        guard try s.step() else { return nil }
        return Account(publicKey: key, balance: s.uint64(0), nonce: s.uint64(1))
    }

    private static func loadBody(_ db: SQLiteDatabase, header: BlockHeader) throws(StoreError) -> Block {
        var transactions: [Transaction] = []
        var receipts: [Receipt] = []
        transactions.reserveCapacity(Int(header.txCount))
        receipts.reserveCapacity(Int(header.txCount))
        if header.txCount > 0 {
            let base = header.height.rawValue << StoreLimits.transactionIndexBits
            let s = try db.statement("SELECT raw, receipt FROM transactions WHERE id BETWEEN ? AND ? ORDER BY id")
            defer { s.reset() }
            try s.bind(1, Int64(bitPattern: base))
            try s.bind(2, Int64(bitPattern: base | ((1 << StoreLimits.transactionIndexBits) - 1)))
            while try s.step() {
                let tx = try decodeTransaction(s.blob(0))
                receipts.append(try decodeReceipt(s, column: 1, txHash: tx.hash, index: UInt32(transactions.count)))
                transactions.append(tx)
            }
        }
        guard transactions.count == Int(header.txCount) else {
            throw .invalidStoredData(
                what: "block \(header.height.rawValue)",
                detail: "header says \(header.txCount) transactions, \(transactions.count) are stored")
        }
        var changes: [ValidatorSetChange] = []
        var changeReceipts: [Receipt] = []
        for (raw, receiptBytes) in try storedChanges(db, at: header.height) {
            do {
                changes.append(try ValidatorSetChange.decode(raw))
                changeReceipts.append(try Receipt.decode(receiptBytes))
            } catch {
                throw .invalidStoredData(what: "validator-set change of block \(header.height.rawValue)", detail: error.description)
            }
        }
        return Block(header: header, transactions: transactions, receipts: receipts, changes: changes, changeReceipts: changeReceipts)
    }

    private static func storedTransaction(_ s: SQLiteStatement) throws(StoreError) -> StoredTransaction {
        let height = Height(s.uint64(0))
        let index = s.int64(1)
        guard let index32 = UInt32(exactly: index) else {
            throw .invalidStoredData(what: "transaction index", detail: "\(index) is out of range")
        }
        let tx = try decodeTransaction(s.blob(2))
        return StoredTransaction(
            transaction: tx, receipt: try decodeReceipt(s, column: 3, txHash: tx.hash, index: index32),
            height: height, index: index32)
    }

    static func decodeHeader(_ bytes: [UInt8], what: @autoclosure () -> String) throws(StoreError) -> BlockHeader {
        do {
            return try BlockHeader.decode(bytes)
        } catch {
            throw .invalidStoredData(what: what(), detail: error.description)
        }
    }

    /// A transaction row's `raw` bytes. Its keys were validated before the block was applied, so
    /// they are not validated again (that point check cost ~50 µs per key and dominated reads).
    static func decodeTransaction(_ bytes: [UInt8]) throws(StoreError) -> Transaction {
        do {
            return try TrustedDecoding.transaction(bytes)
        } catch {
            throw .invalidStoredData(what: "transaction", detail: error.description)
        }
    }

    /// The receipt in `column`: NULL is a success (only failures are stored encoded).
    private static func decodeReceipt(
        _ s: SQLiteStatement, column: Int32, txHash: Digest, index: UInt32
    ) throws(StoreError) -> Receipt {
        if s.isNull(column) { return Receipt(txHash: txHash, index: index, status: .success) }
        let receipt: Receipt
        do {
            receipt = try Receipt.decode(s.blob(column))
        } catch {
            throw .invalidStoredData(what: "receipt", detail: error.description)
        }
        guard receipt.txHash == txHash, receipt.index == index else {
            throw .invalidStoredData(what: "receipt", detail: "it names another transaction or index than its row")
        }
        return receipt
    }
}
