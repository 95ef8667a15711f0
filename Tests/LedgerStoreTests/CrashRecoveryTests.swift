// Checks crash safety for real: a child process (this test binary re-run) writing blocks is SIGKILLed; the file reopens with a contiguous prefix and matching accounts.
import Foundation
import XCTest
import LedgerCore
import LedgerCrypto
@testable import LedgerStore
import TestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class CrashRecoveryTests: XCTestCase {
    static let childEnvironmentKey = "LEDGER_STORE_CRASH_CHILD"
    static let childTest = "LedgerStoreTests.CrashRecoveryTests/testCrashChildWritesBlocksUntilKilled"
    static let txPerBlock = 200
    /// The child's store: index entries sealed every 500 transactions and written over 3 commits.
    static let childConfiguration = StoreConfiguration(indexBatchTransactions: 500, indexFlushSlices: 3)

    /// Not a test of its own: the child entry point of `testKilledWriterLeavesAContiguousConsistentPrefix`, which
    /// re-runs this test binary with only this test selected and the environment variable naming a database.
    /// There it continues the deterministic chain from the stored head and applies blocks until killed (stopping by
    /// itself after 10 000 blocks or 120 s, so no orphan outlives a dead parent). In a normal run it is skipped,
    /// so it never counts as a passing test.
    func testCrashChildWritesBlocksUntilKilled() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.childEnvironmentKey] else {
            throw XCTSkip("the child entry of testKilledWriterLeavesAContiguousConsistentPrefix; it runs only in the "
                          + "child process that test starts (\(Self.childEnvironmentKey) set)")
        }
        var chain = ChainBuilder()
        // Small index batches: a kill lands with entries in memory, mid-flush or just after one.
        let store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: Self.childConfiguration)
        let stored = try store.head().height.rawValue
        while chain.previous.height.rawValue < stored { chain.next(txCount: Self.txPerBlock) }
        let started = Date()
        for _ in 0..<10_000 where Date().timeIntervalSince(started) < 120 {
            try store.apply(chain.next(txCount: Self.txPerBlock), certificate: Array(repeating: 0xce, count: 96))
        }
    }

    /// Three rounds of: start a writer child, wait for a few more blocks, SIGKILL it (at whatever
    /// point it is: usually signing the next batch or inside a write transaction), reopen and check.
    func testKilledWriterLeavesAContiguousConsistentPrefix() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = dir.path("ledger.db")
        let reference = ChainBuilder()
        // Create the file first so parent and child never race to initialise it.
        try LedgerStore.open(path: path, genesis: reference.genesis).close()
        var lastHead: UInt64 = 0
        for round in 1...3 {
            lastHead = try crashRound(path: path, genesis: reference.genesis, after: lastHead, round: round)
        }
    }

    /// One round; returns the head found after the crash.
    private func crashRound(path: String, genesis: Genesis, after previousHead: UInt64, round: Int) throws -> UInt64 {
        let child = Process()
        child.executableURL = try Self.testExecutable()
        child.arguments = Self.testArguments()
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childEnvironmentKey] = path
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }

        // Wait (polling the committed head) until the child has written a few more blocks. The
        // child's store holds the file's lock, so the watcher is a plain read-only connection.
        let watcher = try SQLiteDatabase(path: path, readOnly: true, create: false, busyTimeoutMs: 5_000)
        let target = previousHead + 5
        var seen: UInt64 = 0
        try waitUntilSync("round \(round): the child to write up to height \(target) (or exit)", timeout: .seconds(60),
                          poll: .milliseconds(10)) {
            seen = UInt64(try watcher.queryInt64("SELECT max(height) FROM blocks") ?? 0)
            return seen >= target || !child.isRunning
        }
        XCTAssertTrue(child.isRunning, "round \(round): the child exited by itself (status \(child.terminationStatus))")
        XCTAssertGreaterThanOrEqual(seen, target, "round \(round): the child wrote too few blocks")
        kill(child.processIdentifier, SIGKILL)
        try waitForExitSync(child, "round \(round): the SIGKILLed writer child to exit", timeout: .seconds(10))
        XCTAssertEqual(child.terminationReason, .uncaughtSignal, "round \(round)")
        watcher.close()

        // Reopen after the crash: it opens (integrity check included), and holds a prefix.
        let store = try LedgerStore.open(path: path, genesis: genesis)
        defer { store.close() }
        let head = try store.head()
        XCTAssertGreaterThanOrEqual(head.height.rawValue, seen, "round \(round): a committed block was lost")

        var chain = ChainBuilder()
        var previous = genesis.header
        for h in 1...max(head.height.rawValue, 1) where h <= head.height.rawValue {
            let expected = chain.next(txCount: Self.txPerBlock)
            let block = try XCTUnwrap(store.block(at: Height(h)), "round \(round): block \(h) missing below head \(head.height)")
            XCTAssertEqual(block, expected.block, "round \(round): block \(h)")
            // Every transaction of the prefix is found by hash (index tables or the rebuilt memory part).
            for (i, tx) in expected.block.transactions.enumerated() where i % 20 == 0 || i == Self.txPerBlock - 1 {
                let found = try store.transaction(hash: tx.hash)
                XCTAssertEqual(found?.height, Height(h), "round \(round): block \(h) tx \(i) by hash")
                XCTAssertEqual(found?.index, UInt32(i), "round \(round): block \(h) tx \(i) index")
            }
            XCTAssertEqual(block.header.previousHash, previous.hash)
            previous = block.header
        }
        XCTAssertEqual(head.hash, previous.hash)
        // Sender histories hold exactly the prefix's transactions.
        for key in chain.keys.prefix(2) {
            let expectedCount = chain.executions.flatMap(\.block.transactions).filter { $0.sender == key.publicKey }.count
            XCTAssertEqual(try store.transactions(sender: key.publicKey, limit: StoreLimits.transactionsPerPageMax).count,
                           min(expectedCount, StoreLimits.transactionsPerPageMax), "round \(round): history of a sender")
        }
        // Accounts are exactly the state after the head block: nothing from a half-written block.
        for key in chain.keys {
            XCTAssertEqual(try store.loadAccount(key.publicKey), chain.state.account(key.publicKey), "round \(round)")
        }
        let next = chain.next(txCount: Self.txPerBlock)
        XCTAssertNil(try store.block(at: next.block.height))
        for tx in next.block.transactions.prefix(5) { XCTAssertNil(try store.transaction(hash: tx.hash)) }
        return head.height.rawValue
    }

    /// The test executable: on Linux the `.xctest` file SwiftPM runs is itself the executable
    /// (`CommandLine.arguments[0]`); on macOS `xctest` loads the bundle.
    static func testExecutable() throws -> URL {
        #if os(macOS)
        return URL(fileURLWithPath: "/usr/bin/xcrun")
        #else
        return URL(fileURLWithPath: CommandLine.arguments[0])
        #endif
    }

    static func testArguments() -> [String] {
        #if os(macOS)
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundlePath ?? ""
        return ["xctest", "-XCTest", childTest, bundle]
        #else
        return [childTest]
        #endif
    }
}
