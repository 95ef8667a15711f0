import LedgerCore
import LedgerCrypto

extension LedgerStore {
    /// Stores a range of consecutive executed blocks fetched by state transfer, in ONE durable
    /// transaction: all of them or, on any error, none. The write path of catch-up, kept apart
    /// from `apply(_:certificate:)` (the per-block commit path) so that each can be tuned alone.
    ///
    /// The first block must extend the current head (height head + 1, previous hash = head hash)
    /// and each later one the block before it; otherwise `.heightGap` / `.doesNotExtendHead` and
    /// nothing is written. Compared with applying the blocks one by one it reads the head once,
    /// prepares each statement once for the whole range, and writes each account the range
    /// touched once, with its final state (the range commits as a unit, so the intermediate
    /// states would be overwritten inside the same transaction anyway).
    ///
    /// Crash safety: the range is one SQLite transaction in WAL mode, so after a crash the file
    /// holds either the whole range or none of it, whatever `synchronous` is; state transfer
    /// then resumes from the head it finds.
    ///
    /// `checkpoint`, the donor's stable-checkpoint proof that authenticated the range, is stored
    /// (replacing any at its sequence number) in the same transaction, so that this node can
    /// serve it to the next one that catches up.
    @discardableResult
    public func applyTransferredRange(
        _ executions: [(BlockExecution, certificate: [UInt8]?)], checkpoint: StoredCheckpoint? = nil
    ) throws(StoreError) -> Int {
        if executions.isEmpty { return 0 }
        return try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> Int in
            // The range's index entries and everything still in memory go to the tables in this
            // transaction, sorted: one pass over the index pages for the whole range.
            let index = deferred.withLock { $0 }
            let last = executions[executions.count - 1].0.block.header.height.rawValue
            let count = try db.writeTransaction { () throws(StoreError) -> Int in
                try Self.insertRange(executions, in: db)
                if let checkpoint { try Self.insertCheckpoint(checkpoint, in: db) }
                try Self.writeEverything(index, extra: Self.entries(of: executions.lazy.map(\.0.block)),
                                         through: last, in: db)
                return executions.count
            }
            deferred.withLock { $0.everythingWritten(through: last) }
            accountCache.withLock { $0.reset(at: last) }
            return count
        }
    }

    // Runs inside the writer's transaction.
    private static func insertRange(
        _ executions: [(BlockExecution, certificate: [UInt8]?)], in db: SQLiteDatabase
    ) throws(StoreError) {
        let head = try db.statement("SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1")
        guard try head.step() else {
            head.reset()
            throw .invalidStoredData(what: "chain", detail: "no blocks at all, not even genesis")
        }
        var previousHeight = head.uint64(0)
        var previousHash = try head.digest(1, what: "head block hash")
        head.reset()

        let insertBlock = try db.statement("INSERT INTO blocks (height, hash, header, certificate) VALUES (?, ?, ?, ?)")
        let insertTx = try db.statement(insertTransactionSQL)
        defer {
            insertBlock.reset()
            insertTx.reset()
        }
        var accounts: [PublicKey: Account] = [:]
        for (execution, certificate) in executions {
            let block = execution.block
            let header = block.header
            let height = header.height
            try checkShape(of: block)
            guard height.rawValue == previousHeight &+ 1 else {
                throw .heightGap(head: Height(previousHeight), got: height)
            }
            guard header.previousHash == previousHash else {
                throw .doesNotExtendHead(height: height, expectedPrevious: previousHash, found: header.previousHash)
            }

            insertBlock.reset()
            try insertBlock.bind(1, height.rawValue)
            try insertBlock.bind(2, header.hash)
            try insertBlock.bind(3, header.encoded())
            try insertBlock.bind(4, certificate)
            try insertBlock.run()

            try insertTransactions(of: block, with: insertTx)
            try recordMembership(of: execution, in: db)
            for account in execution.changedAccounts { accounts[account.publicKey] = account }
            previousHeight = height.rawValue
            previousHash = header.hash
        }
        // Key order: neighbouring upserts touch neighbouring pages of the accounts B-tree.
        for account in accounts.values.sorted(by: { $0.publicKey < $1.publicKey }) {
            try upsert(db, account)
        }
    }
}
