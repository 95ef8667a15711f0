import CSQLite
import LedgerCrypto

/// SQLite's "copy the bytes now" destructor marker (`SQLITE_TRANSIENT`), which Swift does not import.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A prepared statement owned by one `SQLiteDatabase`, reused through its statement cache.
///
/// Parameters are 1-based and columns 0-based, as in the C API. Not thread-safe: it is only
/// used while its connection's lock is held.
final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let database: SQLiteDatabase
    let sql: String

    init(handle: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears the previous run and its parameters so the statement can be bound again.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: Int64) throws(StoreError) {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds an unsigned value by its bit pattern (values above `Int64.max` read back unchanged).
    func bind(_ index: Int32, _ value: UInt64) throws(StoreError) {
        try check(sqlite3_bind_int64(handle, index, Int64(bitPattern: value)))
    }

    func bind(_ index: Int32, _ value: String) throws(StoreError) {
        try check(sqlite3_bind_text(handle, index, value, -1, sqliteTransient))
    }

    func bind(_ index: Int32, _ bytes: [UInt8]) throws(StoreError) {
        let rc = bytes.withUnsafeBytes { buffer in
            // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
            sqlite3_bind_blob(handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(buffer.count), sqliteTransient)
        }
        try check(rc)
    }

    func bind(_ index: Int32, _ bytes: [UInt8]?) throws(StoreError) {
        if let bytes { try bind(index, bytes) } else { try bindNull(index) }
    }

    func bind(_ index: Int32, _ digest: Digest) throws(StoreError) {
        let rc = digest.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, 32, sqliteTransient) }
        try check(rc)
    }

    func bind(_ index: Int32, _ key: PublicKey) throws(StoreError) {
        let rc = key.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, 32, sqliteTransient) }
        try check(rc)
    }

    func bindNull(_ index: Int32) throws(StoreError) {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Runs one step: `true` when a row is available, `false` when the statement is done.
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.error(rc, context: "running \(sql.prefix(60))")
    }

    /// Steps until done (for statements that return no rows).
    func run() throws(StoreError) {
        while try step() {}
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func uint64(_ column: Int32) -> UInt64 { UInt64(bitPattern: sqlite3_column_int64(handle, column)) }

    func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: p)
    }

    func blob(_ column: Int32) -> [UInt8] {
        // Blob first, then its size: the order SQLite documents as safe.
        let p = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let p else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: count))
    }

    /// Calls `body` with the blob in `column` without copying it. The pointer is only valid
    /// inside `body`: SQLite frees or moves it on the next step, reset or column conversion.
    /// (`sqlite3_column_blob` is called before `sqlite3_column_bytes`, the order SQLite's docs ask for.)
    func withBlob<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws(StoreError) -> R) throws(StoreError) -> R {
        let p = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let p else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: p, count: count))
    }

    func digest(_ column: Int32, what: @autoclosure () -> String) throws(StoreError) -> Digest {
        let bytes = blob(column)
        do {
            return try Digest(bytes: bytes)
        } catch {
            throw .invalidStoredData(what: what(), detail: "\(error)")
        }
    }

    func publicKey(_ column: Int32, what: @autoclosure () -> String) throws(StoreError) -> PublicKey {
        let bytes = blob(column)
        do {
            return try PublicKey(bytes: bytes)
        } catch {
            throw .invalidStoredData(what: what(), detail: "\(error)")
        }
    }

    private func check(_ rc: Int32) throws(StoreError) {
        guard rc == SQLITE_OK else { throw database.error(rc, context: "binding a parameter of \(sql.prefix(60))") }
    }
}
