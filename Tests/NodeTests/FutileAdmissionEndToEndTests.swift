// Checks admission of transactions that cannot succeed on real ledger-node processes: zero amounts and never-funded
// senders are refused with -32010 and their reason (the probe that found 40 of 40 admitted), and while the primary is
// stopped (so transfers stay waiting) a second transaction for a waiting (sender, nonce), a transfer the balance cannot
// cover on top of the waiting ones, and a 65th waiting transaction of one sender are refused; the very same transaction
// stays idempotent, and after the primary resumes only the admitted transfers commit and no refused sender gets an account.
import Foundation
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class FutileAdmissionEndToEndTests: XCTestCase {
    private func submit(_ net: TestnetHarness, _ i: Int, _ tx: Transaction) async throws -> [String: Any] {
        try await net.call(i, "broadcast_tx_sync", "{\"tx\":\"\(Hex.encode(tx.encoded()))\"}")
    }

    private func refusal(_ r: [String: Any]) -> (code: Int?, data: [String: Any]) {
        let error = r["error"] as? [String: Any]
        return (error?["code"] as? Int, error?["data"] as? [String: Any] ?? [:])
    }

    func testFutileTransactionsAreRefusedWithTheirReasonsAndNeverCommit() async throws {
        // A long view-change timeout: nothing moves the view while the primary is stopped below.
        let net = try TestnetHarness(viewChangeTimeoutMs: 20_000)
        try net.startAll()
        defer {
            net.resume(0)
            net.stopAll()
            net.removeFiles()
        }
        try await net.waitConnected(Array(0..<4))
        let sink = Address(publicKey: SigningKey.generate().publicKey)

        // The probe: 40 zero-amount transfers signed by never-funded keys, then 10 of 7 from others.
        var strangers: [SigningKey] = []
        var admitted = 0
        for k in 0..<50 {
            let stranger = SigningKey.generate()
            strangers.append(stranger)
            let tx = try Transaction.signed(chainID: net.chainID, sender: stranger, recipient: sink, amount: k < 40 ? 0 : 7, nonce: 0)
            let r = try await submit(net, 1 + k % 3, tx)
            if r["result"] != nil { admitted += 1; continue }
            let (code, data) = refusal(r)
            XCTAssertEqual(code, -32010, "\(r)")
            XCTAssertEqual(data["reason"] as? String, k < 40 ? "zero_amount" : "unknown_sender", "\(r)")
        }
        XCTAssertEqual(admitted, 0, "no transaction from a never-funded key is admitted")

        // Fund alice, then stop the primary so that what node 1 admits stays waiting.
        let alice = SigningKey.generate()
        let funding = try Transaction.signed(chainID: net.chainID, sender: net.result.faucetKey, recipient: Address(publicKey: alice.publicKey),
                                             amount: 1_000, nonce: net.faucetNonce)
        let funded = try await submit(net, 1, funding)
        XCTAssertNotNil(funded["result"], "\(funded)")
        net.faucetNonce += 1
        try await net.waitCommitted(Array(0..<4))
        net.pause(0)

        func transfer(_ nonce: UInt64, _ amount: UInt64, memo: [UInt8] = []) throws -> Transaction {
            try Transaction.signed(chainID: net.chainID, sender: alice, recipient: sink, amount: amount, nonce: nonce, memo: memo)
        }
        let first = try transfer(0, 600)
        let taken1 = try await submit(net, 1, first)
        XCTAssertNotNil(taken1["result"], "\(taken1)")
        let again = try await submit(net, 1, first)
        XCTAssertNotNil(again["result"], "the very same transaction again is an idempotent success: \(again)")
        let variant = try transfer(0, 601)
        let taken = refusal(try await submit(net, 1, variant))
        XCTAssertEqual(taken.code, -32010)
        XCTAssertEqual(taken.data["reason"] as? String, "nonce_taken")
        XCTAssertEqual(taken.data["pending_tx"] as? String, first.hash.hex)
        let zero = refusal(try await submit(net, 1, try transfer(1, 0)))
        XCTAssertEqual(zero.data["reason"] as? String, "zero_amount")
        let over = refusal(try await submit(net, 1, try transfer(1, 401)))
        XCTAssertEqual(over.data["reason"] as? String, "insufficient_funds")
        XCTAssertEqual(over.data["balance"] as? String, "1000")
        XCTAssertEqual(over.data["pending"] as? String, "600", "the waiting transfer's 600 counts against the balance")
        XCTAssertEqual(over.data["needed"] as? String, "1001")

        // Up to the per-sender cap (64 waiting), then "sender_limit", which says when to retry.
        var accepted: [Transaction] = [first]
        for n in 1..<UInt64(NodeLimits.pendingTransactionsPerSender) {
            let t = try transfer(n, 1)
            let r = try await submit(net, 1, t)
            XCTAssertNotNil(r["result"], "nonce \(n): \(r)")
            accepted.append(t)
        }
        let limited = refusal(try await submit(net, 1, try transfer(UInt64(NodeLimits.pendingTransactionsPerSender), 1)))
        XCTAssertEqual(limited.code, -32010)
        XCTAssertEqual(limited.data["reason"] as? String, "sender_limit")
        XCTAssertEqual(limited.data["limit"] as? String, String(NodeLimits.pendingTransactionsPerSender))
        XCTAssertNotNil(limited.data["retry_after_ms"] as? String)

        // The primary resumes: what was admitted commits everywhere; what was refused never does.
        net.resume(0)
        let expectedNonce = UInt64(accepted.count)
        try await net.waitUntil("alice's \(expectedNonce) admitted transfers committed on every node", seconds: 30) {
            for i in 0..<4 { guard try await net.nonce(i, of: alice.publicKey) == expectedNonce else { return false } }
            return true
        }
        let answer = try await net.call(2, "account", "{\"address\":\"\(Address(publicKey: alice.publicKey))\"}")
        let account = try XCTUnwrap(answer["result"] as? [String: Any])
        XCTAssertEqual(account["balance"] as? String, String(1_000 - 600 - (expectedNonce - 1)))
        let lookup = try await net.call(2, "tx", "{\"hash\":\"\(variant.hash.hex)\"}")
        XCTAssertEqual((lookup["result"] as? [String: Any])?["status"] as? String, "unknown", "the refused variant is in no block: \(lookup)")
        for stranger in strangers.prefix(5) + strangers.suffix(5) {
            let r = try await net.call(3, "account", "{\"address\":\"\(Address(publicKey: stranger.publicKey))\"}")
            XCTAssertEqual(((r["result"] as? [String: Any])?["nonce"] as? String) ?? "0", "0", "no account, no nonce: \(r)")
        }
    }
}
