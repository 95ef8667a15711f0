import CSQLite

/// One SQLite connection: opening with explicit flags, a cache of prepared statements, and
/// SQLite result codes turned into `StoreError`.
///
/// Not thread-safe by itself (opened with `SQLITE_OPEN_NOMUTEX`): `LedgerStore` keeps each
/// connection behind its own `Mutex`.
final class SQLiteDatabase {
    private(set) var handle: OpaquePointer?
    let path: String
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (and with `create`, creates) the file at `path`.
    init(path: String, readOnly: Bool, create: Bool, busyTimeoutMs: Int32) throws(StoreError) {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw .cannotOpen(path: path, reason: message)
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMs)
    }

    deinit { close() }

    /// Finalises every cached statement and closes the connection. Later calls fail with `.closed`.
    func close() {
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one or more statements that take no parameters and whose rows are ignored.
    func execute(_ sql: String) throws(StoreError) {
        guard let handle else { throw .closed }
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            throw error(rc, message: text, context: "running \(sql.prefix(60))")
        }
    }

    /// A cached prepared statement for `sql`, reset and ready to bind.
    func statement(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        guard let handle else { throw .closed }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw error(rc, context: "preparing \(sql.prefix(60))")
        }
        let statement = SQLiteStatement(handle: stmt, database: self, sql: sql)
        if statements.count >= StoreLimits.statementCacheMax { statements.removeAll() }
        statements[sql] = statement
        return statement
    }

    /// The single integer a query returns, or `nil` when it returns no row.
    func queryInt64(_ sql: String) throws(StoreError) -> Int64? {
        let s = try statement(sql)
        defer { s.reset() }
        return try s.step() ? s.int64(0) : nil
    }

    /// The single text a query returns, or `nil` when it returns no row.
    func queryText(_ sql: String) throws(StoreError) -> String? {
        let s = try statement(sql)
        defer { s.reset() }
        return try s.step() ? s.text(0) : nil
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }

    /// Runs one parameterless statement through the prepared-statement cache: for the statements
    /// the store repeats with every block and every consensus-log append (BEGIN, COMMIT), which
    /// `execute` would parse again each time. Not for PRAGMAs that act while being compiled.
    func executePrepared(_ sql: String) throws(StoreError) {
        let s = try statement(sql)
        defer { s.reset() }
        try s.run()
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; any error rolls everything back.
    func writeTransaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try executePrepared("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try executePrepared("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside a read transaction so that all its queries see one snapshot.
    func readTransaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try executePrepared("BEGIN")
        defer { try? executePrepared("COMMIT") }
        return try body()
    }

    /// Maps a SQLite result code (plus the connection's message) to a `StoreError`.
    func error(_ rc: Int32, message: String? = nil, context: String) -> StoreError {
        let text = message ?? handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        switch rc & 0xff {
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return .corrupt(path: path, detail: text)
        case SQLITE_FULL:
            return .diskFull(path: path)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .busy(path: path)
        case SQLITE_CANTOPEN:
            return .cannotOpen(path: path, reason: text)
        case SQLITE_IOERR where rc == SQLITE_IOERR | (2 << 8):  // SQLITE_IOERR_SHORT_READ
            return .corrupt(path: path, detail: "file is shorter than its header says (truncated): \(text)")
        default:
            return .sqlite(code: rc, message: text, context: context)
        }
    }
}
