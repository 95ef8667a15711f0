// Checks mempool admission against committed account state: chain, nonce, balance, duplicates, the capacity bound, and the client nonce gate.
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
        let pool = Mempool(capacity: 2)
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

    func testClientNoncesMustFollowTheCommittedOrAWaitingNonceOfTheSender() throws {
        let pool = Mempool()
        let account = Account(publicKey: sender.publicKey, balance: 100, nonce: 3)
        func gap(_ nonce: UInt64) -> MempoolRejection? {
            do { try pool.admit(try tx(nonce: nonce), chainID: "c", account: account, nowMs: 0, fromClient: true) } catch let e as MempoolRejection {
                return e
            } catch { XCTFail("\(error)") }
            return nil
        }
        XCTAssertEqual(gap(5), .nonceGap(nonce: 5, next: 3), "3 and 4 are missing")
        XCTAssertEqual(pool.count, 0, "a refused transaction is not held")
        XCTAssertNil(gap(3), "the committed next nonce")
        XCTAssertEqual(gap(5), .nonceGap(nonce: 5, next: 4))
        XCTAssertNil(gap(4), "follows a waiting nonce")
        XCTAssertNil(gap(5))
        XCTAssertEqual(pool.nextAcceptableNonce(sender.publicKey, committedNext: 3), 6)
        // Gossip is not gated: the validator that took it from the client checked it.
        try pool.admit(try tx(nonce: 9), chainID: "c", account: account, nowMs: 0)
        XCTAssertEqual(gap(11), .nonceGap(nonce: 11, next: 6))
        XCTAssertNil(gap(10), "follows the gossiped 9")
        XCTAssertEqual(MempoolRejection.nonceGap(nonce: 11, next: 6).reasonCode, "nonce_gap")

        // Once 4 is gone (committed: the account moves on), 5 no longer has a predecessor waiting here.
        let four = try tx(nonce: 4)
        pool.remove([four.hash])
        XCTAssertEqual(pool.nextAcceptableNonce(sender.publicKey, committedNext: 3), 4)
        let moved = Account(publicKey: sender.publicKey, balance: 100, nonce: 6)
        XCTAssertNoThrow(try pool.admit(try tx(nonce: 6), chainID: "c", account: moved, nowMs: 0, fromClient: true))

        // Two waiting transactions with one nonce (a conflicting pair): the nonce stays held until both are gone.
        let a = try tx(nonce: 20, amount: 1), b = try tx(nonce: 20, amount: 2)
        try pool.admit(a, chainID: "c", account: account, nowMs: 0)
        try pool.admit(b, chainID: "c", account: account, nowMs: 0)
        pool.remove([a.hash])
        XCTAssertNoThrow(try pool.admit(try tx(nonce: 21), chainID: "c", account: account, nowMs: 0, fromClient: true))
        pool.remove([b.hash])
        XCTAssertEqual(gap(23), .nonceGap(nonce: 23, next: 4), "nothing waits for 22; the lowest free nonce is 4")
    }
}
