import LedgerCore

extension LedgerStore {
    /// Appends `records` in one transaction that is fsynced before this returns, even when
    /// blocks are committed with `synchronous = NORMAL`: the consensus layer sends a signed
    /// message only after it is here. Returns the ids assigned, in order.
    @discardableResult
    public func appendConsensusLog(_ records: [ConsensusLogRecord]) throws(StoreError) -> [Int64] {
        guard records.count <= StoreLimits.consensusLogAppendMax else {
            throw .rangeTooLarge(requested: records.count, maximum: StoreLimits.consensusLogAppendMax)
        }
        if records.isEmpty { return [] }
        let relaxed = configuration.synchronous != .full
        return try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> [Int64] in
            // Not a prepared statement: SQLite applies `synchronous` while compiling the PRAGMA, so
            // re-running a cached one would not switch anything.
            if relaxed { try db.execute("PRAGMA synchronous=FULL") }
            defer { if relaxed { try? db.execute("PRAGMA synchronous=\(StoreConfiguration.Synchronous.normal.rawValue)") } }
            return try db.writeTransaction { () throws(StoreError) -> [Int64] in
                let s = try db.statement("INSERT INTO consensus_log (view, seq, kind, bytes) VALUES (?, ?, ?, ?) RETURNING id")
                var ids: [Int64] = []
                ids.reserveCapacity(records.count)
                for record in records {
                    s.reset()
                    try s.bind(1, record.view.rawValue)
                    try s.bind(2, record.sequenceNumber.rawValue)
                    try s.bind(3, Int64(record.kind))
                    try s.bind(4, record.bytes)
                    guard try s.step() else {
                        throw .sqlite(code: 0, message: "insert returned no id", context: "appending to the consensus log")
                    }
                    ids.append(s.int64(0))
                    try s.run()
                }
                s.reset()
                return ids
            }
        }
    }

    /// Every record in the consensus log, in the order appended.
    public func loadConsensusLog() throws(StoreError) -> [ConsensusLogRecord] {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> [ConsensusLogRecord] in
            let s = try db.statement("SELECT id, view, seq, kind, bytes FROM consensus_log ORDER BY id")
            defer { s.reset() }
            var records: [ConsensusLogRecord] = []
            while try s.step() {
                let kind = s.int64(3)
                guard let kind8 = UInt8(exactly: kind) else {
                    throw .invalidStoredData(what: "consensus log kind", detail: "\(kind) does not fit in a byte")
                }
                records.append(ConsensusLogRecord(
                    view: View(s.uint64(1)), sequenceNumber: SequenceNumber(s.uint64(2)), kind: kind8,
                    bytes: s.blob(4), id: s.int64(0)))
            }
            return records
        }
    }

    /// Drops consensus-log records that cannot be read back: first writes a consistent copy of
    /// the whole database to `copyPath` (SQLite `VACUUM INTO`; the file must not exist), then, in
    /// one durable transaction, deletes the records with the given ids and raises the stored
    /// voting fence to at least `votingFence` (see `votingFence()`). Returns how many records were
    /// deleted. Nothing changes when the copy cannot be written.
    @discardableResult
    public func dropConsensusLogRecords(ids: [Int64], keepingCopyAt copyPath: String,
                                        votingFence: SequenceNumber) throws(StoreError) -> Int {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> Int in
            let copy = try db.statement("VACUUM INTO ?")
            defer { copy.reset() }
            try copy.bind(1, copyPath)
            try copy.run()
            copy.reset()
            let relaxed = configuration.synchronous != .full
            // Not a prepared statement: SQLite applies `synchronous` while compiling the PRAGMA, so
            // re-running a cached one would not switch anything.
            if relaxed { try db.execute("PRAGMA synchronous=FULL") }
            defer { if relaxed { try? db.execute("PRAGMA synchronous=\(StoreConfiguration.Synchronous.normal.rawValue)") } }
            return try db.writeTransaction { () throws(StoreError) -> Int in
                let stored = try Self.readMetaInt(db, key: Self.votingFenceKey).map { SequenceNumber(UInt64(bitPattern: $0)) }
                let fence = max(stored ?? .zero, votingFence)
                let meta = try db.statement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
                defer { meta.reset() }
                try meta.bind(1, Self.votingFenceKey)
                try meta.bind(2, Int64(bitPattern: fence.rawValue))
                try meta.run()
                let s = try db.statement("DELETE FROM consensus_log WHERE id = ?")
                defer { s.reset() }
                var deleted = 0
                for id in ids {
                    s.reset()
                    try s.bind(1, id)
                    try s.run()
                    deleted += db.changes
                }
                return deleted
            }
        }
    }

    /// The voting fence stored when consensus-log records were dropped (`nil` if none ever
    /// were): the replica signs no vote until its stable checkpoint reaches it
    /// (`RecoveredState.votingFence`). Once passed it has no effect, so it is never cleared.
    public func votingFence() throws(StoreError) -> SequenceNumber? {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> SequenceNumber? in
            try Self.readMetaInt(db, key: Self.votingFenceKey).map { SequenceNumber(UInt64(bitPattern: $0)) }
        }
    }

    private static var votingFenceKey: String { "voting_fence" }

    /// Deletes every record and notes that the log now belongs to `epoch` (an epoch ended: its votes
    /// can never count again, decision 0038), durably in one transaction. Returns how many were deleted.
    @discardableResult
    public func clearConsensusLog(startingEpoch epoch: UInt64) throws(StoreError) -> Int {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> Int in
            let relaxed = configuration.synchronous != .full
            if relaxed { try db.execute("PRAGMA synchronous=FULL") }
            defer { if relaxed { try? db.execute("PRAGMA synchronous=\(StoreConfiguration.Synchronous.normal.rawValue)") } }
            return try db.writeTransaction { () throws(StoreError) -> Int in
                let meta = try db.statement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
                defer { meta.reset() }
                try meta.bind(1, Self.consensusLogEpochKey)
                try meta.bind(2, Int64(bitPattern: epoch))
                try meta.run()
                let s = try db.statement("DELETE FROM consensus_log")
                defer { s.reset() }
                try s.run()
                return db.changes
            }
        }
    }

    /// The epoch the consensus log's records belong to (0 until `clearConsensusLog(startingEpoch:)`).
    public func consensusLogEpoch() throws(StoreError) -> UInt64 {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> UInt64 in
            try Self.readMetaInt(db, key: Self.consensusLogEpochKey).map { UInt64(bitPattern: $0) } ?? 0
        }
    }

    private static var consensusLogEpochKey: String { "consensus_log_epoch" }

    /// Deletes every record whose sequence number is below `sequenceNumber` (the new stable
    /// checkpoint's low watermark). Returns how many were deleted.
    @discardableResult
    public func pruneConsensusLog(below sequenceNumber: SequenceNumber) throws(StoreError) -> Int {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> Int in
            // seq holds the UInt64 bit pattern: values of 2^63 and above read as negative.
            let bound = Int64(bitPattern: sequenceNumber.rawValue)
            let s = try db.statement(bound >= 0
                ? "DELETE FROM consensus_log WHERE seq >= 0 AND seq < ?"
                : "DELETE FROM consensus_log WHERE seq >= 0 OR seq < ?")
            defer { s.reset() }
            try s.bind(1, bound)
            try s.run()
            return db.changes
        }
    }
}
