// Checks `ledger-node start --byzantine` with real processes: it refuses a non-test genesis, and an equivocating primary cannot make the three honest nodes disagree.
import Foundation
import TestSupport
import XCTest

final class ByzantineNodeTests: XCTestCase {
    func testByzantineModeIsRefusedUnlessTheGenesisIsATestNetwork() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.markGenesisAsProduction(0)
        let refused = try await net.runNodeCommand(["start", "--home", net.result.homes[0], "--byzantine", "silent"])
        XCTAssertNotEqual(refused.status, 0, "a Byzantine node started on a non-test chain: \(refused.output)")
        XCTAssertTrue(refused.output.contains("test network"), "no reason given: \(refused.output)")
        // An unknown strategy is refused with the list of known ones (on the test chain of node 1).
        let unknown = try await net.runNodeCommand(["start", "--home", net.result.homes[1], "--byzantine", "silent,nonsense"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.output.contains("nonsense") && unknown.output.contains("equivocate"), unknown.output)
    }

    func testAnEquivocatingPrimaryCannotSplitTheHonestNodes() async throws {
        let net = try TestnetHarness()
        let byzantine = try net.startByzantine(0, strategies: "equivocate")
        defer {
            kill(byzantine.processIdentifier, SIGKILL)
            _ = try? waitForExitSync(byzantine, "the Byzantine node 0 to die of SIGKILL", timeout: .seconds(10))
            net.stopAll()
            net.removeFiles()
        }
        for i in 1..<4 { try net.start(i) }
        try await net.waitConnected([1, 2, 3])
        // All to one honest node: sequential nonces sent to different nodes could reach the primary out of order.
        for _ in 0..<12 {
            let r = try await net.submitTransfer(to: 1)
            XCTAssertNotNil(r["result"], "broadcast_tx_sync refused: \(r)")
        }
        try await net.waitCommitted([1, 2, 3], seconds: 60)
        let heights = try await [1, 2, 3].asyncMap { try await net.height($0) }
        let common = heights.min() ?? 0
        XCTAssertGreaterThan(common, 0)
        let reference = try await net.hashes(1, upTo: common)
        XCTAssertFalse(reference.contains(nil))
        for i in [2, 3] {
            let mine = try await net.hashes(i, upTo: common)
            XCTAssertEqual(mine, reference, "honest node \(i) disagrees with node 1 below height \(common)")
        }
        XCTAssertTrue(net.log(0).contains("BYZANTINE"), "the Byzantine node did not say so loudly")
        // The honest backup that received the other batch reports the primary's equivocation (RPC `evidence`).
        try await net.waitUntil("equivocation evidence against r0 in an honest node's `evidence` answer", seconds: 10) {
            for i in [1, 2, 3] {
                let answer = try? await net.call(i, "evidence")
                let evidence = (answer?["result"] as? [String: Any])?["evidence"] as? [[String: Any]] ?? []
                if evidence.contains(where: { $0["offender"] as? Int == 0 }) { return true }
            }
            return false
        }
    }
}
