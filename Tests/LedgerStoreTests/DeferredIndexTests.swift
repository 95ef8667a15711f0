// Checks the batched lookup indexes: a transaction is found by hash, sender and recipient while its
// entries are only in memory, while a sealed batch is half written, and after it is written; after a
// reopen mid-batch; after a state-transfer range; and after migrating a version-1 database.
import Foundation
import XCTest
import LedgerCore
import LedgerCrypto
@testable import LedgerStore

final class DeferredIndexTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.cleanUp() }

    /// Small batches so that a few blocks go through every state: in memory, sealed, half written, written.
    private let small = StoreConfiguration(synchronous: .normal, indexBatchTransactions: 9, indexFlushSlices: 3)

    func testLookupsAreRightInEveryStateOfABatch() throws {
        var chain = ChainBuilder(accounts: 5)
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis, configuration: small)
        for height in 1...30 {
            if height % 7 == 0 {
                // A replayed transaction fails on its nonce; lookups by hash must give the first copy.
                let old = try XCTUnwrap(chain.executions.first { !$0.block.transactions.isEmpty }?.block.transactions[0])
                let replay = chain.next(transactions: [old])
                XCTAssertFalse(replay.block.receipts[0].isSuccess)
                try store.apply(replay, certificate: nil)
            } else {
                try store.apply(chain.next(txCount: height % 4), certificate: nil)
            }
            try assertLookups(store, chain: chain, "after block \(height)")
        }
    }

    func testReopeningHalfWayThroughABatchKeepsEveryLookup() throws {
        var chain = ChainBuilder(accounts: 5)
        let path = try closedStore(&chain, blocks: 5, txCount: 3)
        var store: LedgerStore
        // Reopened with the same and with other batch settings (what a config change does).
        for configuration in [small, StoreConfiguration(synchronous: .normal)] {
            store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: configuration)
            try assertLookups(store, chain: chain, "reopened")
            for _ in 0..<4 { try store.apply(chain.next(txCount: 3), certificate: nil) }
            try assertLookups(store, chain: chain, "reopened and extended")
            store.close()
        }
    }

    func testATransferredRangeLeavesEveryLookupRight() throws {
        var chain = ChainBuilder(accounts: 5)
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis, configuration: small)
        for _ in 0..<4 { try store.apply(chain.next(txCount: 3), certificate: nil) }
        let range = (0..<6).map { _ in chain.next(txCount: 4) }
        try store.applyTransferredRange(range.map { ($0, certificate: nil) })
        try assertLookups(store, chain: chain, "after the range")
        for _ in 0..<5 { try store.apply(chain.next(txCount: 2), certificate: nil) }
        try assertLookups(store, chain: chain, "after the range and more blocks")
    }

    func testAVersionOneDatabaseIsMigrated() throws {
        var chain = ChainBuilder(accounts: 5)
        let path = try closedStore(&chain, blocks: 6, txCount: 3)
        // Turn the file back into what version 1 wrote: indexes on the transactions table, no tables (neither the index
        // tables of version 2 nor the change tables of version 3), no marker.
        try edit(path, """
            DROP TABLE tx_by_hash; DROP TABLE tx_by_sender; DROP TABLE tx_by_recipient;
            CREATE INDEX transactions_by_hash ON transactions (hash_key);
            CREATE INDEX transactions_by_sender ON transactions (sender_key);
            CREATE INDEX transactions_by_recipient ON transactions (recipient_key);
            DELETE FROM meta WHERE key = 'indexed_through';
            DROP TABLE block_changes; DROP TABLE epochs;
            UPDATE meta SET value = 1 WHERE key = 'schema_version';
            """)
        let store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: small)
        defer { store.close() }
        try assertLookups(store, chain: chain, "migrated")
        for _ in 0..<4 { try store.apply(chain.next(txCount: 3), certificate: nil) }
        try assertLookups(store, chain: chain, "migrated and extended")
    }

    func testAnIndexMarkerAboveTheHeadIsRefused() throws {
        var chain = ChainBuilder(accounts: 5)
        let path = try closedStore(&chain, blocks: 3, txCount: 2)
        try edit(path, "UPDATE meta SET value = 99 WHERE key = 'indexed_through'")
        XCTAssertThrowsStoreError(
            .invalidStoredData(what: "meta.indexed_through", detail: "99 is above the head block 3"),
            try LedgerStore.open(path: path, genesis: chain.genesis, configuration: small))
    }

    func testTheBatchBookkeepingDropsOnlyWhatWasWritten() {
        var index = DeferredIndex(indexedThrough: 0, sealThreshold: 2, slices: 2)
        func id(_ height: UInt64, _ i: UInt64) -> Int64 { Int64(height << StoreLimits.transactionIndexBits | i) }
        index.record(id: id(1, 0), hashKey: 10, senderKey: 1, recipientKey: 2)
        index.record(id: id(1, 1), hashKey: 11, senderKey: 1, recipientKey: 2)
        index.recorded(through: 1)
        index.sealIfDue()
        XCTAssertEqual(index.flush?.throughHeight, 1)
        index.record(id: id(2, 0), hashKey: 12, senderKey: 1, recipientKey: 3)
        index.recorded(through: 2)
        index.sliceCommitted()
        XCTAssertEqual(index.indexedThrough, 0, "one slice of two written: nothing leaves memory")
        XCTAssertEqual(index.ids(.sender, key: 1), [id(1, 0), id(1, 1), id(2, 0)])
        index.sliceCommitted()
        XCTAssertEqual(index.indexedThrough, 1)
        XCTAssertNil(index.flush)
        XCTAssertEqual(index.ids(.sender, key: 1), [id(2, 0)], "the later block's entry stays")
        XCTAssertEqual(index.ids(.hash, key: 10), [])
        XCTAssertEqual(index.ids(.recipient, key: 3), [id(2, 0)])
        XCTAssertEqual(index.memoryTransactionCount, 1)
    }

    /// Runs `sql` on the closed database at `path` (what a damaged file or an older binary leaves).
    /// A store file with `blocks` blocks of `chain` (each of `txCount` transfers), closed; its path.
    private func closedStore(_ chain: inout ChainBuilder, blocks: Int, txCount: Int) throws -> String {
        let path = dir.path("ledger.db")
        let store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: small)
        defer { store.close() }
        for _ in 0..<blocks { try store.apply(chain.next(txCount: txCount), certificate: nil) }
        return path
    }

    private func edit(_ path: String, _ sql: String) throws {
        let db = try SQLiteDatabase(path: path, readOnly: false, create: false, busyTimeoutMs: 1000)
        defer { db.close() }
        try db.execute(sql)
    }

    /// Every transaction of `chain` is found by hash (its first, executed copy) and appears in its
    /// sender's and recipient's history, newest first, also across pages.
    private func assertLookups(
        _ store: LedgerStore, chain: ChainBuilder, _ when: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var first: [Digest: (Height, UInt32)] = [:]
        var sent: [PublicKey: [TransactionPosition]] = [:]
        var received: [PublicKey: [TransactionPosition]] = [:]
        for execution in chain.executions {
            for (i, tx) in execution.block.transactions.enumerated() {
                let position = TransactionPosition(height: execution.block.height, index: UInt32(i))
                if first[tx.hash] == nil { first[tx.hash] = (execution.block.height, UInt32(i)) }
                sent[tx.sender, default: []].append(position)
                received[tx.recipient.publicKey, default: []].append(position)
            }
        }
        for (hash, position) in first {
            let stored = try store.transaction(hash: hash)
            XCTAssertEqual(stored?.height, position.0, "\(when): height of \(hash.hex.prefix(8))", file: file, line: line)
            XCTAssertEqual(stored?.index, position.1, "\(when): index of \(hash.hex.prefix(8))", file: file, line: line)
        }
        for key in chain.keys.map(\.publicKey) {
            XCTAssertEqual(try store.transactions(sender: key, limit: 1_000).map(\.position),
                           (sent[key] ?? []).reversed(), "\(when): sent by \(key)", file: file, line: line)
            XCTAssertEqual(try store.transactions(recipient: key, limit: 1_000).map(\.position),
                           (received[key] ?? []).reversed(), "\(when): received by \(key)", file: file, line: line)
            var paged: [TransactionPosition] = []
            var cursor: TransactionPosition? = nil
            while true {
                let page = try store.transactions(sender: key, before: cursor, limit: 2)
                if page.isEmpty { break }
                paged += page.map(\.position)
                cursor = page.last!.position
                // A cursor that does not move would page forever: stop once more came back than there is.
                guard paged.count <= (sent[key] ?? []).count else {
                    return XCTFail("\(when): paging \(key) does not end", file: file, line: line)
                }
            }
            XCTAssertEqual(paged, (sent[key] ?? []).reversed(), "\(when): paged history of \(key)", file: file, line: line)
        }
        let unknown = try Digest(bytes: [UInt8](repeating: 0x5a, count: 32))
        XCTAssertNil(try store.transaction(hash: unknown), "\(when)", file: file, line: line)
    }
}
