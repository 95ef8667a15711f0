// Checks a validator-set change on four real ledger-node processes, as operators run it: a change approved by two of
// four is refused by the node with its reason; approved by three it is accepted, gossiped and ordered, and every node
// shows it pending with the same boundary; the chain then orders every block up to the boundary and nothing after
// it (the hard stop of decision 0038: this version cannot start the next epoch yet, and says so in every log).
import Foundation
import LedgerCore
import XCTest

final class ValidatorChangeNodeTests: XCTestCase {
    func testASubmittedChangeIsOrderedEverywhereAndTheChainStopsAtItsBoundary() async throws {
        let net = try TestnetHarness()  // K = 10, W = 40
        defer { net.stopAll(); net.removeFiles() }
        let binary = try TestnetHarness.locateBinary()
        func node(_ arguments: [String], status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
            let run = try await TestnetHarness.runNodeCommand(binary: binary, arguments, seconds: 60)
            XCTAssertEqual(run.status, status, "ledger-node \(arguments.joined(separator: " ")): \(run.output)", file: file, line: line)
            return run.output
        }
        try net.startAll()
        try await net.waitConnected(Array(0..<4))
        for _ in 0..<3 { _ = try await net.submitTransfer(to: 0) }
        try await net.waitCommitted(Array(0..<4))

        // The operators: a joiner's hand-over, the change, approvals on separate copies.
        let work = net.home(0) + "/../change-work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try await node(["init", "--home", work + "/joiner", "--p2p-address", "127.0.0.1:29999"])
        let change = work + "/change.json", short = work + "/short.json"
        try await node(["validators", "change", "new", "--out", change, "--genesis", net.home(0) + "/genesis.json", "--epoch", "0",
                        "--add-from", work + "/joiner/validator.json"])
        try await node(["validators", "change", "approve", change, "--home", net.home(0)])
        try await node(["validators", "change", "approve", change, "--home", net.home(1)])
        try FileManager.default.copyItem(atPath: change, toPath: short)
        let refused = try await node(["validators", "change", "submit", short, "--rpc", net.rpcURL(2).absoluteString], status: 1)
        XCTAssertTrue(refused.contains("2 of the current validators approved; the quorum is 3"), refused)

        // Garbage over RPC: a clear refusal, and the node keeps serving.
        for garbage in ["00ff", "02" + String(repeating: "ab", count: 300)] {
            let answer = try await net.call(1, "broadcast_change", "{\"change\":\"\(garbage)\"}")
            let error = try XCTUnwrap(answer["error"] as? [String: Any], "\(answer)")
            XCTAssertEqual((error["data"] as? [String: Any])?["reason"] as? String, "malformed", "\(error)")
        }
        let notHex = try await net.call(1, "broadcast_change", "{\"change\":\"zz\"}")
        XCTAssertNotNil(notHex["error"], "\(notHex)")
        _ = try await net.height(1)

        try await node(["validators", "change", "approve", change, "--home", net.home(2)])
        let accepted = try await node(["validators", "change", "submit", change, "--rpc", net.rpcURL(3).absoluteString])
        XCTAssertTrue(accepted.contains("accepted in block"), accepted)

        // Every node holds the same pending change and boundary.
        var boundary: UInt64 = 0
        try await net.waitUntil("every node shows the pending change", seconds: 30) {
            var ends: Set<String> = []
            for i in 0..<4 {
                guard let result = try? await net.call(i, "validators")["result"] as? [String: Any],
                      let pending = result["pending_change"] as? [String: Any], let end = pending["last_height_of_epoch"] as? String
                else { return false }
                ends.insert(end)
            }
            guard ends.count == 1, let end = ends.first.flatMap(UInt64.init) else { return false }
            boundary = end
            return true
        }
        XCTAssertEqual(boundary % 10, 0, "the boundary is a checkpoint")

        // Transfers until the chain reaches the boundary: every node stops exactly there.
        try await net.waitUntil("every node at the boundary \(boundary)", seconds: 120) {
            _ = try? await net.submitTransfer(to: 0)
            for i in 0..<4 { guard (try? await net.height(i)) == boundary else { return false } }
            return true
        }
        for _ in 0..<5 { _ = try await net.submitTransfer(to: 1) }
        try await Task.sleep(for: .seconds(3))  // an observation window: nothing may commit above the boundary
        for i in 0..<4 {
            let height = try await net.height(i)
            XCTAssertEqual(height, boundary, "node \(i) ordered a block above the epoch's last")
            XCTAssertTrue(net.log(i).contains("epoch complete: this version cannot start the next epoch"), "node \(i)")
            let answer = try await net.call(i, "validators")
            let set = try XCTUnwrap(answer["result"] as? [String: Any])
            XCTAssertEqual(set["epoch"] as? String, "1", "the ledger's set changed after the boundary block")
            XCTAssertEqual(set["count"] as? Int, 5)
        }
    }
}
