// Checks that the store's in-memory accounts never serve a stale state: after every block, after a
// state-transfer range, at a capacity smaller than the account set, and to a second store on the same file.
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
        let store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: tiny)
        // Another store on the same file (another process): it never applies, so it must notice new heights.
        let other = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: tiny)
        let keys = chain.keys.map(\.publicKey)
        let expected = { AccountState(accounts: chain.state.sortedAccounts) }
        XCTAssertEqual(try store.accounts(for: keys), expected())
        XCTAssertEqual(try other.accounts(for: keys), expected())
        for height in 1...12 {
            try store.apply(chain.next(txCount: 1 + height % 3, failing: height % 5 == 0), certificate: nil)
            XCTAssertEqual(try store.accounts(for: keys), expected(), "block \(height)")
            XCTAssertEqual(try store.accounts(for: keys.reversed()), expected(), "block \(height), other order")
            XCTAssertEqual(try other.accounts(for: keys), expected(), "second store, block \(height)")
        }
        let range = (0..<3).map { _ in chain.next(txCount: 3) }
        try store.applyTransferredRange(range.map { ($0, certificate: nil) })
        XCTAssertEqual(try store.accounts(for: keys), expected(), "after a range")
        try store.apply(chain.next(txCount: 2), certificate: nil)
        XCTAssertEqual(try store.accounts(for: keys), expected(), "after a range and a block")
        XCTAssertEqual(try other.accounts(for: keys), expected(), "second store at the end")
        // An account nobody funded is absent, not invented.
        let stranger = try SigningKey(seed: [UInt8](repeating: 0x77, count: 32)).publicKey
        XCTAssertNil(try store.accounts(for: [stranger]).account(stranger))
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
