// Checks the mempool's structured rejections (the stable `reason` codes and details RPC clients branch on) and its oldest-first listing.
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class RPCMempoolRejectionTests: XCTestCase {
    private let key = SigningKey.generate()

    private func tx(nonce: UInt64, amount: UInt64 = 1, chainID: String = "c") throws -> Transaction {
        try Transaction.signed(chainID: chainID, sender: key, recipient: Address(publicKey: SigningKey.generate().publicKey),
                               amount: amount, nonce: nonce)
    }

    private func rejection(_ body: () throws(MempoolRejection) -> Void) -> MempoolRejection? {
        do { try body(); return nil } catch { return error }
    }

    func testRejectionsCarryStableReasonsAndDetails() throws {
        let pool = Mempool(capacity: 2)
        let account = Account(publicKey: key.publicKey, balance: 10, nonce: 9)
        let low = try tx(nonce: 7)
        let r1 = rejection { () throws(MempoolRejection) in try pool.admit(low, chainID: "c", account: account, nowMs: 0) }
        XCTAssertEqual(r1?.reasonCode, "nonce_too_low")
        XCTAssertEqual(r1?.details.map { "\($0.0)=\($0.1)" }, ["expected=9", "got=7"])
        XCTAssertEqual(r1?.description, "nonce 7 already used; next is 9", "the message is unchanged")

        let rich = try tx(nonce: 9, amount: 11)
        let r2 = rejection { () throws(MempoolRejection) in try pool.admit(rich, chainID: "c", account: account, nowMs: 0) }
        XCTAssertEqual(r2?.reasonCode, "insufficient_funds")
        XCTAssertEqual(r2?.details.map { "\($0.0)=\($0.1)" }, ["balance=10", "needed=11"])

        let foreign = try tx(nonce: 9, chainID: "other")
        let r3 = rejection { () throws(MempoolRejection) in try pool.admit(foreign, chainID: "c", account: account, nowMs: 0) }
        XCTAssertEqual(r3?.reasonCode, "wrong_chain")

        let a = try tx(nonce: 9), b = try tx(nonce: 10), c = try tx(nonce: 11)
        try pool.admit(b, chainID: "c", account: account, nowMs: 5)
        try pool.admit(a, chainID: "c", account: account, nowMs: 3)
        let dup = rejection { () throws(MempoolRejection) in try pool.admit(a, chainID: "c", account: account, nowMs: 6) }
        XCTAssertEqual(dup?.reasonCode, "duplicate")
        let full = rejection { () throws(MempoolRejection) in try pool.admit(c, chainID: "c", account: account, nowMs: 7) }
        XCTAssertEqual(full?.reasonCode, "mempool_full")
        XCTAssertEqual(full?.details.first?.1, "2")
        XCTAssertEqual(MempoolRejection.badSignature.reasonCode, "bad_signature")
        XCTAssertEqual(MempoolRejection.shuttingDown.reasonCode, "shutting_down")
        let busy = MempoolRejection.busy(backlog: 5_000, backlogLimit: 4_800, waitedMs: 640, limitMs: 1_000, retryAfterMs: 100)
        XCTAssertEqual(busy.reasonCode, "busy")
        XCTAssertEqual(busy.details.map { "\($0.0)=\($0.1)" },
                       ["backlog=5000", "backlog_limit=4800", "waited_ms=640", "limit_ms=1000", "retry_after_ms=100"])
        XCTAssertTrue(busy.description.contains("retry in 100 ms"))
        let changing = MempoolRejection.changingView(view: 3, retryAfterMs: 500)
        XCTAssertEqual(changing.reasonCode, "busy", "clients resend it like any busy refusal")
        XCTAssertEqual(changing.details.map { "\($0.0)=\($0.1)" }, ["changing_to_view=3", "retry_after_ms=500"])
        XCTAssertTrue(changing.description.contains("changing to view 3"))
        let gap = MempoolRejection.nonceGap(nonce: 12, next: 10)
        XCTAssertEqual(gap.details.map { "\($0.0)=\($0.1)" }, ["expected=10", "got=12"])

        XCTAssertEqual(pool.oldest(limit: 1).map(\.hash), [a.hash], "oldest admission first")
        XCTAssertEqual(pool.oldest(limit: 5).map(\.hash), [a.hash, b.hash])
        XCTAssertEqual(pool.transaction(b.hash), b)
        XCTAssertNil(pool.transaction(c.hash))
    }

    func testOldestSelectsWithoutSortingEverything() throws {
        let pool = Mempool(capacity: 1_000)
        let account = Account(publicKey: key.publicKey, balance: 1_000_000, nonce: 0)
        var admitted: [(UInt64, Digest)] = []
        for n in 0..<300 {
            let t = try tx(nonce: UInt64(n))
            let at = UInt64((n * 7919) % 1000)
            try pool.admit(t, chainID: "c", account: account, nowMs: at)
            admitted.append((at, t.hash))
        }
        let expected = admitted.sorted { $0.0 < $1.0 }.prefix(10).map(\.1)
        XCTAssertEqual(pool.oldest(limit: 10).map(\.hash), Array(expected))
    }
}
