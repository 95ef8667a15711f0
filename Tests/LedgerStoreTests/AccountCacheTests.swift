// Checks that the store's in-memory accounts never serve a stale state: after every block, after a
// state-transfer range, at a capacity smaller than the account set, and after reopening the file.
import XCTest
import LedgerCore
import LedgerCrypto
@testable import LedgerStore

final class AccountCacheTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.cleanUp() }

    func testAccountsAreTheCommittedStateAfterEveryWrite() throws {
        var chain = ChainBuilder(accounts: 6)
        let path = dir.path("ledger.db")
        let tiny = StoreConfiguration(synchronous: .normal, accountCacheCapacity: 4)
        var store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: tiny)
        let keys = chain.keys.map(\.publicKey)
        let expected = { AccountState(accounts: chain.state.sortedAccounts) }
        XCTAssertEqual(try store.accounts(for: keys), expected())
        for height in 1...12 {
            try store.apply(chain.next(txCount: 1 + height % 3, failing: height % 5 == 0), certificate: nil)
            XCTAssertEqual(try store.accounts(for: keys), expected(), "block \(height)")
            XCTAssertEqual(try store.accounts(for: keys.reversed()), expected(), "block \(height), other order")
            XCTAssertEqual(try store.accounts(for: keys.prefix(2)), AccountState(accounts: keys.prefix(2).compactMap { chain.state.account($0) }),
                           "block \(height), two accounts (held in the cache)")
        }
        let range = (0..<3).map { _ in chain.next(txCount: 3) }
        try store.applyTransferredRange(range.map { ($0, certificate: nil) })
        XCTAssertEqual(try store.accounts(for: keys), expected(), "after a range")
        try store.apply(chain.next(txCount: 2), certificate: nil)
        XCTAssertEqual(try store.accounts(for: keys), expected(), "after a range and a block")
        store.close()
        store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: tiny)
        XCTAssertEqual(try store.accounts(for: keys), expected(), "reopened")
        // An account nobody funded is absent, not invented.
        let stranger = try SigningKey(seed: [UInt8](repeating: 0x77, count: 32)).publicKey
        XCTAssertNil(try store.accounts(for: [stranger]).account(stranger))
    }

    /// Accounts the cache holds are answered from memory: a row changed behind the store's back
    /// (which the file's lock keeps other ledger processes from doing), with a new head that a read
    /// of the file would notice, is not seen while they are cached, and is seen after reopening.
    /// This is what shows the read skips SQLite.
    func testCachedAccountsAreAnsweredWithoutReadingTheFile() throws {
        var chain = ChainBuilder(accounts: 3)
        let path = dir.path("ledger.db")
        let store = try LedgerStore.open(path: path, genesis: chain.genesis)
        try store.apply(chain.next(txCount: 2), certificate: nil)
        let key = chain.keys[0].publicKey
        let committed = try XCTUnwrap(chain.state.account(key))
        XCTAssertEqual(try store.accounts(for: [key]).account(key), committed)   // now cached
        let outside = try SQLiteDatabase(path: path, readOnly: false, create: false, busyTimeoutMs: 1_000)
        let s = try outside.statement("UPDATE accounts SET balance = 1 WHERE public_key = ?")
        try s.bind(1, key)
        try s.run()
        s.reset()
        // …and a row above the head, so a store that looked at the file's head would see a new height.
        try outside.execute("""
            INSERT INTO blocks (height, hash, header, certificate)
            SELECT height + 1, randomblob(32), header, certificate FROM blocks ORDER BY height DESC LIMIT 1
            """)
        outside.close()
        XCTAssertEqual(try store.accounts(for: [key]).account(key), committed, "a cached account was read from the file")
        XCTAssertEqual(try store.loadAccount(key)?.balance, 1, "the outside write did not happen")
        // A reopened store reads the file again.
        store.close()
        let reopened = try LedgerStore.open(path: path, genesis: chain.genesis)
        XCTAssertEqual(try reopened.accounts(for: [key]).account(key)?.balance, 1)
    }

    func testTheCacheOnlyAnswersAtItsHeight() {
        let key = try! SigningKey(seed: [UInt8](repeating: 0x42, count: 32)).publicKey
        var cache = AccountCache(capacity: 2)
        cache.remember([Account(publicKey: key, balance: 5, nonce: 0)], at: 3)
        XCTAssertEqual(cache.account(key, at: 3)?.balance, 5)
        XCTAssertNil(cache.account(key, at: 4), "another height is a miss")
        cache.applied([Account(publicKey: key, balance: 4, nonce: 1)], at: 4)
        XCTAssertEqual(cache.account(key, at: 4)?.balance, 4)
        cache.applied([], at: 9)
        XCTAssertNil(cache.account(key, at: 9), "a block that does not follow empties it")
    }
}
