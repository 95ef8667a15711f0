// Checks a validator-set change on four real ledger-node processes, as operators run it: a change approved by two of
// four is refused by the node with its reason; approved by three it is accepted, gossiped and ordered, and every node
// shows it pending with the same boundary; past the boundary the new set (five, the joiner absent) orders the chain.
import Foundation
import LedgerCore
import XCTest

final class ValidatorChangeNodeTests: XCTestCase {
    func testASubmittedChangeIsOrderedEverywhereAndTheNewSetOrdersPastItsBoundary() async throws {
        let net = try TestnetHarness()  // K = 10, W = 40
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<4))
        for _ in 0..<3 { _ = try await net.submitTransfer(to: 0) }
        try await net.waitCommitted(Array(0..<4))

        // The operators: a joiner's hand-over, the change, approvals on separate copies.
        let work = net.home(0) + "/../change-work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try await net.node(["init", "--home", work + "/joiner", "--p2p-address", "127.0.0.1:29999"])
        let change = work + "/change.json", short = work + "/short.json"
        try await net.node(["validators", "change", "new", "--out", change, "--genesis", net.home(0) + "/genesis.json", "--epoch", "0",
                        "--add-from", work + "/joiner/validator.json"])
        try await net.node(["validators", "change", "approve", change, "--home", net.home(0)])
        try await net.node(["validators", "change", "approve", change, "--home", net.home(1)])
        try FileManager.default.copyItem(atPath: change, toPath: short)
        let refused = try await net.node(["validators", "change", "submit", short, "--rpc", net.rpcURL(2).absoluteString], status: 1)
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

        try await net.node(["validators", "change", "approve", change, "--home", net.home(2)])
        let accepted = try await net.node(["validators", "change", "submit", change, "--rpc", net.rpcURL(3).absoluteString])
        XCTAssertTrue(accepted.contains("accepted in block"), accepted)

        // Every node holds the same pending change and boundary.
        let boundary = try await net.pendingBoundary(nodes: Array(0..<4))

        // Transfers carry the chain past the boundary: the new set of five (the joiner never started, so four of five
        // vote — the quorum) orders the blocks above it.
        try await net.waitUntil("every node past the boundary \(boundary)", seconds: 120) {
            _ = try? await net.submitTransfer(to: 0)
            for i in 0..<4 { guard let h = try? await net.height(i), h > boundary + 3 else { return false } }
            return true
        }
        for i in 0..<4 {
            XCTAssertTrue(net.log(i).contains("validator set changed: voting in the new epoch"), "node \(i)")
            let answer = try await net.call(i, "validators")
            let set = try XCTUnwrap(answer["result"] as? [String: Any])
            XCTAssertEqual(set["epoch"] as? String, "1", "the ledger's set changed after the boundary block")
            XCTAssertEqual(set["count"] as? Int, 5)
        }
        try await net.assertIdenticalBlocks(Array(0..<4))
    }
}
