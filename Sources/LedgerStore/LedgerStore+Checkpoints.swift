import LedgerCore
import LedgerCrypto

extension LedgerStore {
    /// Stores a stable checkpoint (replacing any at the same sequence number), durably.
    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) throws(StoreError) {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) in
            try Self.insertCheckpoint(checkpoint, in: db)
        }
    }

    /// The stored checkpoint with the highest sequence number in `from...through`, or `nil`:
    /// what a state-transfer donor serves to anchor the blocks it sends.
    public func latestCheckpoint(from: SequenceNumber, through: SequenceNumber) throws(StoreError) -> StoredCheckpoint? {
        guard from <= through else { return nil }
        return try read { (db) throws(StoreError) -> StoredCheckpoint? in
            let s = try db.statement(
                "SELECT seq, block_hash, proof FROM checkpoints WHERE seq >= ? AND seq <= ? ORDER BY seq DESC LIMIT 1")
            defer { s.reset() }
            try s.bind(1, from.rawValue)
            try s.bind(2, through.rawValue)
            guard try s.step() else { return nil }
            return try Self.checkpoint(s)
        }
    }

    static func insertCheckpoint(_ checkpoint: StoredCheckpoint, in db: SQLiteDatabase) throws(StoreError) {
        let s = try db.statement("INSERT OR REPLACE INTO checkpoints (seq, block_hash, proof) VALUES (?, ?, ?)")
        defer { s.reset() }
        try s.bind(1, checkpoint.sequenceNumber.rawValue)
        try s.bind(2, checkpoint.blockHash)
        try s.bind(3, checkpoint.proof)
        try s.run()
    }

    /// The checkpoint stored at `sequenceNumber`, or `nil`.
    public func checkpoint(at sequenceNumber: SequenceNumber) throws(StoreError) -> StoredCheckpoint? {
        try read { (db) throws(StoreError) -> StoredCheckpoint? in
            let s = try db.statement("SELECT seq, block_hash, proof FROM checkpoints WHERE seq = ?")
            defer { s.reset() }
            try s.bind(1, sequenceNumber.rawValue)
            guard try s.step() else { return nil }
            return try Self.checkpoint(s)
        }
    }

    /// The checkpoint with the highest sequence number, or `nil` when none is stored.
    public func latestCheckpoint() throws(StoreError) -> StoredCheckpoint? {
        try read { (db) throws(StoreError) -> StoredCheckpoint? in
            let s = try db.statement("SELECT seq, block_hash, proof FROM checkpoints ORDER BY seq DESC LIMIT 1")
            defer { s.reset() }
            guard try s.step() else { return nil }
            return try Self.checkpoint(s)
        }
    }

    private static func checkpoint(_ s: SQLiteStatement) throws(StoreError) -> StoredCheckpoint {
        StoredCheckpoint(
            sequenceNumber: SequenceNumber(s.uint64(0)), blockHash: try s.digest(1, what: "checkpoint block hash"),
            proof: s.blob(2))
    }
}
