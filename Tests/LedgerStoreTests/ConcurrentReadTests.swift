// Checks that reads succeed on the last committed snapshot while a write transaction is open and while blocks are applied from another thread.
import Foundation
import XCTest
import LedgerCore
import LedgerCrypto
@testable import LedgerStore
import TestSupport

final class ConcurrentReadTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.cleanUp() }

    /// A second connection holds the write lock with an uncommitted block; the store's reads still
    /// answer, from the committed state, without waiting for the writer.
    func testReadsProceedWhileAWriteTransactionIsOpen() throws {
        var chain = ChainBuilder()
        let path = dir.path("ledger.db")
        let store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: StoreConfiguration(busyTimeoutMs: 100))
        let committed = chain.next(txCount: 3)
        try store.apply(committed, certificate: nil)
        let pending = chain.next(txCount: 3)

        let other = try SQLiteDatabase(path: path, readOnly: false, create: false, busyTimeoutMs: 100)
        try other.execute("BEGIN IMMEDIATE")
        let insert = try other.statement("INSERT INTO blocks (height, hash, header, certificate) VALUES (2, ?, ?, NULL)")
        try insert.bind(1, pending.block.hash)
        try insert.bind(2, pending.block.header.encoded())
        try insert.run()
        insert.reset()
        try other.execute("UPDATE accounts SET balance = 1")

        // Reads on another thread, while the write transaction above is open.
        let results = DispatchQueue.global().sync { () -> (ChainHead?, Account?, Block?) in
            (try? store.head(), try? store.loadAccount(chain.keys[0].publicKey), try? store.block(at: Height(1)))
        }
        XCTAssertEqual(results.0?.hash, committed.block.hash)
        XCTAssertEqual(results.1, chain.executions[0].changedAccounts.first { $0.publicKey == chain.keys[0].publicKey }
            ?? chain.genesis.initialAccounts.first { $0.publicKey == chain.keys[0].publicKey })
        XCTAssertEqual(results.2, committed.block)

        // The store's own writer waits for the lock and gives up with `.busy`, writing nothing.
        XCTAssertThrowsStoreError(.busy(path: path), try store.apply(pending, certificate: nil))
        try other.execute("ROLLBACK")
        other.close()
        XCTAssertEqual(try store.apply(pending, certificate: nil), .applied)
    }

    /// One thread applies blocks while another reads; every read succeeds and sees a consistent,
    /// never-decreasing head whose block can be read in full, and reads are answered while the writer still has
    /// blocks to apply. (The writer holds once, after block 20, until the reader has seen that head: without it
    /// the writer may finish before the reader's first read, and the test would show nothing about concurrency.)
    func testReadsDuringConcurrentApplies() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let blocks = (0..<40).map { _ in chain.next(txCount: 50) }
        let expected = Dictionary(uniqueKeysWithValues: blocks.map { ($0.block.height, $0.block) })
        let finalHeight = UInt64(blocks.count)
        let midpoint: UInt64 = 20

        let readerSawMidpoint = LockedBox(false)
        let writerDone = LockedBox(false)
        let writeError = LockedBox<Error?>(nil)
        DispatchQueue.global().async {
            do {
                for b in blocks {
                    try store.apply(b, certificate: nil)
                    if b.block.height.rawValue == midpoint {
                        try waitUntilSync("the reader to see head \(midpoint)", timeout: .seconds(30), poll: .milliseconds(1)) {
                            readerSawMidpoint.get()
                        }
                    }
                }
            } catch {
                writeError.set(error)
            }
            writerDone.set(true)
        }
        var lastHeight: UInt64 = 0
        var headsWhileWriting: Set<UInt64> = []
        try waitUntilSync("the reader to see head \(finalHeight) (or the writer to fail)", timeout: .seconds(60), poll: .zero) {
            let head = try store.head()
            XCTAssertGreaterThanOrEqual(head.height.rawValue, lastHeight)
            lastHeight = head.height.rawValue
            if head.height.rawValue > 0 {
                XCTAssertEqual(try store.block(at: head.height), expected[head.height])
            }
            // Checked after the read: if the writer is not done now, it was not done when the read was answered.
            if !writerDone.get() { headsWhileWriting.insert(lastHeight) }
            if lastHeight == midpoint { readerSawMidpoint.set(true) }
            return lastHeight == finalHeight || writeError.get() != nil
        }
        try waitUntilSync("the writer thread to finish") { writerDone.get() }
        XCTAssertNil(writeError.get())
        XCTAssertTrue(headsWhileWriting.contains { $0 > 0 && $0 < finalHeight },
                      "no read saw an intermediate head while the writer still had blocks to apply: \(headsWhileWriting.sorted())")
    }
}

/// A value shared between threads under a lock (test helper).
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
