import LedgerCore
import LedgerCrypto

extension LedgerStore {
    /// Up to `count` consecutive blocks from `start` as raw batch bytes with their certificates,
    /// read in one snapshot, for serving state transfer. Stops early at the head, at a block
    /// without a certificate, or once more than `maxBytes` of batches and certificates were
    /// collected (at least one block is returned if there is one). No transaction is decoded:
    /// the batch encoding is the batch header followed by the stored `raw` bytes, checked against
    /// the header's batch digest.
    public func rawBlocks(from start: Height, count: Int, maxBytes: Int) throws(StoreError) -> [RawBlock] {
        guard count > 0, start.rawValue <= StoreLimits.heightMax else { return [] }
        let end = start.rawValue &+ UInt64(min(count, StoreLimits.headersPerCallMax))
        return try read { (db) throws(StoreError) -> [RawBlock] in
            try db.readTransaction { () throws(StoreError) -> [RawBlock] in
                var rows: [(BlockHeader, [UInt8])] = []
                do {
                    let s = try db.statement(
                        "SELECT header, certificate FROM blocks WHERE height >= ? AND height < ? ORDER BY height")
                    defer { s.reset() }
                    try s.bind(1, start.rawValue)
                    try s.bind(2, min(end, StoreLimits.heightMax &+ 1))
                    var expected = start.rawValue
                    while try s.step() {
                        let header = try Self.decodeHeader(s.blob(0), what: "block header")
                        guard header.height.rawValue == expected, !s.isNull(1) else { break }
                        rows.append((header, s.blob(1)))
                        expected &+= 1
                    }
                }
                var out: [RawBlock] = []
                var total = 0
                let body = try db.statement("SELECT raw FROM transactions WHERE id BETWEEN ? AND ? ORDER BY id")
                defer { body.reset() }
                for (header, certificate) in rows {
                    let batch = try Self.rawBatch(body, header: header, db: db)
                    total += batch.count + certificate.count
                    if total > maxBytes && !out.isEmpty { break }
                    out.append(RawBlock(header: header, batch: batch, certificate: certificate))
                }
                return out
            }
        }
    }

    /// The canonical batch encoding of the block with `header`, from its transaction rows.
    private static func rawBatch(_ s: SQLiteStatement, header: BlockHeader, db: SQLiteDatabase) throws(StoreError) -> [UInt8] {
        var w = ByteWriter(capacity: Limits.batchHeaderBytes + Int(header.txCount) * 160)
        w.write(Batch.version)
        w.write(header.view.rawValue)
        w.write(header.timestamp)
        w.write(header.txCount)
        var stored = 0
        if header.txCount > 0 {
            s.reset()
            let base = header.height.rawValue << StoreLimits.transactionIndexBits
            try s.bind(1, Int64(bitPattern: base))
            try s.bind(2, Int64(bitPattern: base | ((1 << StoreLimits.transactionIndexBits) - 1)))
            while try s.step() {
                try s.withBlob(0) { w.writeRaw($0) }
                stored += 1
            }
            s.reset()
        }
        guard stored == Int(header.txCount) else {
            throw .invalidStoredData(
                what: "block \(header.height.rawValue)",
                detail: "header says \(header.txCount) transactions, \(stored) are stored")
        }
        if Hash.blake2b256(w.bytes) == header.batchDigest { return w.bytes }
        // A batch with a validator-set change: version 2, the change after the transactions.
        let changes = try storedChanges(db, at: header.height).map(\.raw)
        if !changes.isEmpty {
            var bytes = w.bytes
            bytes[0] = Batch.versionWithChange
            bytes.append(UInt8(truncatingIfNeeded: changes.count))
            for raw in changes { bytes += raw }
            if Hash.blake2b256(bytes) == header.batchDigest { return bytes }
        }
        // An empty block made for a gap a new view filled carries the null batch.
        if header.txCount == 0 && header.batchDigest == Batch.null.digest { return Batch.null.encoded() }
        throw .invalidStoredData(
            what: "block \(header.height.rawValue)", detail: "its stored transactions do not hash to the header's batch digest")
    }
}
