// Checks mempool admission against committed account state: chain, nonce, balance, duplicates and the capacity bound.
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class MempoolTests: XCTestCase {
    private let sender = SigningKey.generate()
    private let recipient = Address(publicKey: SigningKey.generate().publicKey)

    private func tx(nonce: UInt64, amount: UInt64 = 5, chain: String = "c") throws -> Transaction {
        try Transaction.signed(chainID: chain, sender: sender, recipient: recipient, amount: amount, nonce: nonce)
    }

    func testAdmissionChecks() throws {
        var pool = Mempool(capacity: 2)
        let account = Account(publicKey: sender.publicKey, balance: 10, nonce: 3)
        XCTAssertThrowsError(try pool.admit(try tx(nonce: 3, chain: "d"), chainID: "c", account: account, nowMs: 0)) {
            XCTAssertEqual($0 as? MempoolRejection, .wrongChain(expected: "c", found: "d"))
        }
        XCTAssertThrowsError(try pool.admit(try tx(nonce: 2), chainID: "c", account: account, nowMs: 0)) {
            XCTAssertEqual($0 as? MempoolRejection, .nonceUsed(nonce: 2, next: 3))
            XCTAssertEqual("\($0)", "nonce 2 already used; next is 3")
        }
        XCTAssertThrowsError(try pool.admit(try tx(nonce: 3, amount: 11), chainID: "c", account: account, nowMs: 0)) {
            XCTAssertEqual($0 as? MempoolRejection, .insufficientBalance(balance: 10, amount: 11))
        }
        XCTAssertThrowsError(try pool.admit(try tx(nonce: 0), chainID: "c", account: nil, nowMs: 0)) {
            XCTAssertEqual($0 as? MempoolRejection, .insufficientBalance(balance: 0, amount: 5))
        }
        let first = try tx(nonce: 3)
        try pool.admit(first, chainID: "c", account: account, nowMs: 0)
        XCTAssertThrowsError(try pool.admit(first, chainID: "c", account: account, nowMs: 0)) {
            XCTAssertEqual($0 as? MempoolRejection, .duplicate)
        }
        try pool.admit(try tx(nonce: 4), chainID: "c", account: account, nowMs: 5)
        XCTAssertThrowsError(try pool.admit(try tx(nonce: 5), chainID: "c", account: account, nowMs: 0)) {
            XCTAssertEqual($0 as? MempoolRejection, .full(capacity: 2))
            XCTAssertTrue("\($0)".contains("mempool full"))
        }
        XCTAssertEqual(pool.oldestWaitMs(nowMs: 100), 100)
        pool.remove([first.hash])
        XCTAssertEqual(pool.count, 1)
        XCTAssertFalse(pool.contains(first.hash))
        try pool.admit(try tx(nonce: 5), chainID: "c", account: account, nowMs: 0)
    }
}
