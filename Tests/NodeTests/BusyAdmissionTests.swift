// Checks admission control on real ledger-node processes: while the primary orders nothing (it is stopped), a backup
// takes client transactions up to its backlog floor and then refuses them as "busy", with the backlog, its limit and
// a retry delay in the answer; after the view change it takes them again, and a client that resends the refused
// transaction gets it committed on every running node.
import Foundation
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class BusyAdmissionTests: XCTestCase {
    func testABackupRefusesClientsAsBusyPastItsBacklogAndTakesThemAgainAfterTheViewChange() async throws {
        // Batches of at most 4: the backlog floor is 2 batches = 8 transactions.
        let net = try TestnetHarness(viewChangeTimeoutMs: 2_000, maxBatchTransactions: 4)
        let floor = 4 * NodeLimits.admissionMinimumBacklogBatches
        try net.startAll()
        defer {
            net.resume(0)
            net.stopAll()
            net.removeFiles()
        }
        try await net.waitConnected(Array(0..<4))
        let first = try await net.submitTransfer(to: 1)
        XCTAssertNotNil(first["result"], "\(first)")
        try await net.waitCommitted(Array(0..<4))

        net.pause(0)  // the primary of view 0: nothing is ordered, nothing commits
        var refusal: [String: Any]?
        var admitted = 0
        for _ in 0..<(floor + 4) {
            let r = try await net.submitTransfer(to: 1)
            if r["result"] != nil { admitted += 1; continue }
            refusal = r["error"] as? [String: Any]
            break
        }
        XCTAssertEqual(admitted, floor, "a backup takes up to its backlog floor while nothing commits")
        let data = try XCTUnwrap(refusal?["data"] as? [String: Any], "no busy refusal past the floor")
        XCTAssertEqual(refusal?["code"] as? Int, -32010)
        XCTAssertEqual(data["reason"] as? String, "busy")
        XCTAssertEqual(data["backlog"] as? String, String(floor))
        XCTAssertEqual(data["backlog_limit"] as? String, String(floor), "hardly anything committed lately: the floor is the limit")
        XCTAssertEqual(data["retry_after_ms"] as? String, String(NodeLimits.busyRetryAfterMs))

        // The client resends the refused transfer (same nonce, the harness did not count it) until it is taken.
        var resent = 0
        try await net.waitUntil("the refused transfer to be taken after the view change", seconds: 30) {
            let r = try await net.submitTransfer(to: 1)
            if r["result"] != nil { return true }
            let reason = ((r["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String
            XCTAssertEqual(reason, "busy", "the only refusal expected here: \(r)")
            resent += 1
            return false
        }
        XCTAssertGreaterThan(resent, 0, "refused again while the stopped primary ordered nothing")
        try await net.waitCommitted([1, 2, 3])
        // `status` reads a snapshot refreshed every 50 ms, so the commit can be seen before the view.
        try await net.waitUntil("node 1 to report the new primary's view (a new primary ordered them)", seconds: 10) {
            (try await net.status(1)["view"] as? String).map { $0 != "0" } ?? false
        }
        let log = net.log(1)
        XCTAssertTrue(log.contains("refusing client transactions as busy"), "the busy spell is logged")
        XCTAssertTrue(log.contains("taking client transactions again"), "and its end")
    }
}
