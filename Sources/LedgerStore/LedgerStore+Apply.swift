import LedgerCore
import LedgerCrypto

extension LedgerStore {
    /// Stores an executed block in one SQLite transaction: the block row (header and
    /// `certificate`), its transactions with receipts, the accounts it changed, and so the new head.
    ///
    /// Idempotent by height: the same block again is `.alreadyStored` (filling in a missing
    /// certificate if one is given); a different block at a stored height is `.conflictingBlock`;
    /// a height other than head + 1 is `.heightGap`; a previous hash other than the head's hash
    /// is `.doesNotExtendHead`. On any error nothing is written.
    @discardableResult
    public func apply(_ execution: BlockExecution, certificate: [UInt8]?) throws(StoreError) -> ApplyOutcome {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> ApplyOutcome in
            try applyCommitting([(execution, certificate)], in: db)[0]
        }
    }

    /// Applies each execution in order, each in its own durable transaction, taking the writer
    /// lock once. Stops at the first error (blocks before it stay applied). The fast path for
    /// state transfer and for the `ledger-bench micro` store benchmark.
    public func apply(_ executions: [(BlockExecution, certificate: [UInt8]?)]) throws(StoreError) -> [ApplyOutcome] {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> [ApplyOutcome] in
            var outcomes: [ApplyOutcome] = []
            outcomes.reserveCapacity(executions.count)
            for step in executions {
                outcomes.append(try applyCommitting([step], in: db)[0])
            }
            return outcomes
        }
    }

    /// Applies each execution in order inside ONE durable transaction: all of them or, on any
    /// error, none. One fsync for the whole range instead of one per block — the fast path for
    /// state transfer, where a range of certified blocks is written at once (a crash loses the
    /// range, which is fetched again).
    public func applyAtomically(_ executions: [(BlockExecution, certificate: [UInt8]?)]) throws(StoreError) -> [ApplyOutcome] {
        if executions.isEmpty { return [] }
        return try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> [ApplyOutcome] in
            try applyCommitting(executions, in: db)
        }
    }

    /// Applies `executions` in one SQLite transaction together with the next slice of a sealed
    /// index batch (when some block is new), then, after the commit, records the new blocks'
    /// index entries in memory. Called with the writer lock held.
    private func applyCommitting(
        _ executions: [(BlockExecution, certificate: [UInt8]?)], in db: SQLiteDatabase
    ) throws(StoreError) -> [ApplyOutcome] {
        let flush = deferred.withLock { $0.flush }
        let outcomes = try db.writeTransaction { () throws(StoreError) -> [ApplyOutcome] in
            var outcomes: [ApplyOutcome] = []
            outcomes.reserveCapacity(executions.count)
            for (execution, certificate) in executions {
                outcomes.append(try Self.apply(execution, certificate: certificate, in: db))
            }
            if let flush, outcomes.contains(.applied) {
                try Self.writeSlice(of: flush, in: db)
            }
            return outcomes
        }
        guard outcomes.contains(.applied) else { return outcomes }
        deferred.withLock { (index: inout DeferredIndex) in
            if flush != nil { index.sliceCommitted() }
            for (position, outcome) in outcomes.enumerated() where outcome == .applied {
                Self.record(executions[position].0.block, in: &index)
            }
            index.sealIfDue()
        }
        accountCache.withLock { (cache: inout AccountCache) in
            for (position, outcome) in outcomes.enumerated() where outcome == .applied {
                let execution = executions[position].0
                cache.applied(execution.changedAccounts, at: execution.block.header.height.rawValue)
            }
        }
        return outcomes
    }

    /// Stores (or replaces) the commit certificate of the block at `height`.
    /// Returns `false` when no block is stored at that height.
    @discardableResult
    public func setCertificate(_ certificate: [UInt8], at height: Height) throws(StoreError) -> Bool {
        try writer.withLock { (db: inout SQLiteDatabase) throws(StoreError) -> Bool in
            let s = try db.statement("UPDATE blocks SET certificate = ? WHERE height = ?")
            defer { s.reset() }
            try s.bind(1, certificate)
            try s.bind(2, height.rawValue)
            try s.run()
            return db.changes > 0
        }
    }

    // Runs inside the writer's transaction.
    private static func apply(
        _ execution: BlockExecution, certificate: [UInt8]?, in db: SQLiteDatabase
    ) throws(StoreError) -> ApplyOutcome {
        let block = execution.block
        let header = block.header
        let height = header.height
        try checkShape(of: block)

        let head = try db.statement("SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1")
        defer { head.reset() }
        guard try head.step() else {
            throw .invalidStoredData(what: "chain", detail: "no blocks at all, not even genesis")
        }
        let headHeight = head.uint64(0)
        let headHash = try head.digest(1, what: "head block hash")
        head.reset()

        if height.rawValue <= headHeight {
            let existing = try db.statement("SELECT hash, certificate IS NULL FROM blocks WHERE height = ?")
            defer { existing.reset() }
            try existing.bind(1, height.rawValue)
            guard try existing.step() else {
                throw .invalidStoredData(what: "block \(height.rawValue)", detail: "missing below the head \(headHeight)")
            }
            let existingHash = try existing.digest(0, what: "block \(height.rawValue) hash")
            guard existingHash == header.hash else {
                throw .conflictingBlock(height: height, existing: existingHash, new: header.hash)
            }
            let missingCertificate = existing.int64(1) != 0
            existing.reset()
            if missingCertificate, let certificate {
                let s = try db.statement("UPDATE blocks SET certificate = ? WHERE height = ?")
                defer { s.reset() }
                try s.bind(1, certificate)
                try s.bind(2, height.rawValue)
                try s.run()
            }
            return .alreadyStored
        }
        guard height.rawValue == headHeight &+ 1 else {
            throw .heightGap(head: Height(headHeight), got: height)
        }
        guard header.previousHash == headHash else {
            throw .doesNotExtendHead(height: height, expectedPrevious: headHash, found: header.previousHash)
        }

        let insertBlock = try db.statement("INSERT INTO blocks (height, hash, header, certificate) VALUES (?, ?, ?, ?)")
        try insertBlock.bind(1, height.rawValue)
        try insertBlock.bind(2, header.hash)
        try insertBlock.bind(3, header.encoded())
        try insertBlock.bind(4, certificate)
        defer { insertBlock.reset() }
        try insertBlock.run()

        if !block.transactions.isEmpty {
            let insertTx = try db.statement(insertTransactionSQL)
            defer { insertTx.reset() }
            try insertTransactions(of: block, with: insertTx)
        }

        for account in execution.changedAccounts {
            try upsert(db, account)
        }
        try recordMembership(of: execution, in: db)
        return .applied
    }

    /// Stores the block's validator-set changes with their receipts, and, when the block changed
    /// the membership (a change accepted, or the next epoch begun), the new membership and the
    /// new epoch's set. Blocks without either write nothing here.
    static func recordMembership(of execution: BlockExecution, in db: SQLiteDatabase) throws(StoreError) {
        let block = execution.block
        let height = block.header.height.rawValue
        if !block.changes.isEmpty {
            let insert = try db.statement("INSERT INTO block_changes (height, idx, hash, raw, receipt) VALUES (?, ?, ?, ?, ?)")
            defer { insert.reset() }
            for (index, (change, receipt)) in zip(block.changes, block.changeReceipts).enumerated() {
                insert.reset()
                try insert.bind(1, height)
                try insert.bind(2, Int64(index))
                try insert.bind(3, change.hash)
                try insert.bind(4, change.encoded())
                try insert.bind(5, receipt.encoded())
                try insert.run()
            }
        }
        let membership = execution.membership
        let epochBegan = membership.firstHeight.rawValue == height &+ 1 && membership.epoch > 0
        guard !block.changes.isEmpty || epochBegan else { return }
        let meta = try db.statement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        defer { meta.reset() }
        try meta.bind(1, Schema.Key.membership)
        try meta.bind(2, membership.encoded())
        try meta.run()
        guard epochBegan else { return }
        let epoch = try db.statement("INSERT INTO epochs (epoch, first_height, validators) VALUES (?, ?, ?)")
        defer { epoch.reset() }
        try epoch.bind(1, membership.epoch)
        try epoch.bind(2, membership.firstHeight.rawValue)
        try epoch.bind(3, Membership.encodedSet(membership.validators))
        try epoch.run()
    }

    /// Refuses a block whose height is out of the store's range or whose header disagrees with its
    /// transaction and receipt counts.
    static func checkShape(of block: Block) throws(StoreError) {
        let header = block.header
        guard header.height.rawValue <= StoreLimits.heightMax else {
            throw .invalidBlock(height: header.height, reason: "height is above the store's maximum \(StoreLimits.heightMax)")
        }
        guard block.transactions.count == Int(header.txCount), block.receipts.count == block.transactions.count else {
            throw .invalidBlock(height: header.height,
                reason: "header says \(header.txCount) transactions, block has \(block.transactions.count) "
                    + "transactions and \(block.receipts.count) receipts")
        }
        guard block.changes.count == block.changeReceipts.count, block.changes.count <= Limits.batchMaxChanges else {
            throw .invalidBlock(height: header.height,
                reason: "block has \(block.changes.count) validator-set changes and \(block.changeReceipts.count) change receipts")
        }
    }

    /// The statement that stores one transaction with its receipt (`insertTransactions`).
    static let insertTransactionSQL = """
        INSERT INTO transactions (id, hash, hash_key, height, idx, sender, sender_key, recipient,
            recipient_key, nonce, amount, raw, status, failure, receipt)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Stores `block`'s transactions and receipts with `insertTx` (prepared from `insertTransactionSQL`).
    static func insertTransactions(of block: Block, with insertTx: SQLiteStatement) throws(StoreError) {
        let height = block.header.height
        let base = height.rawValue << StoreLimits.transactionIndexBits
        for (index, tx) in block.transactions.enumerated() {
            let receipt = block.receipts[index]
            let recipient = tx.recipient.publicKey
            insertTx.reset()
            try insertTx.bind(1, Int64(bitPattern: base | UInt64(index)))
            try insertTx.bind(2, tx.hash)
            try insertTx.bind(3, IndexKey.of(tx.hash))
            try insertTx.bind(4, height.rawValue)
            try insertTx.bind(5, Int64(index))
            try insertTx.bind(6, tx.sender)
            try insertTx.bind(7, IndexKey.of(tx.sender))
            try insertTx.bind(8, recipient)
            try insertTx.bind(9, IndexKey.of(recipient))
            try insertTx.bind(10, tx.nonce)
            try insertTx.bind(11, tx.amount)
            try insertTx.bind(12, tx.encoded())
            switch receipt.status {
            case .success:
                try insertTx.bind(13, Int64(0))
                try insertTx.bindNull(14)
                try insertTx.bindNull(15)
            case .failed(let reason):
                try insertTx.bind(13, Int64(1))
                try insertTx.bind(14, reason.description)
                try insertTx.bind(15, receipt.encoded())
            }
            try insertTx.run()
        }
    }
}
