// Full nodes as real processes: a new full node catches up from genesis, follows live blocks, serves status and blocks,
// relays transactions to the validators, and catches up again after its own restart and across a validator's crash;
// the wallet works against it exactly as against a validator.
import Foundation
import LedgerCore
import LedgerCrypto
import XCTest

final class FullNodeTests: XCTestCase {
    func testAFullNodeCatchesUpFollowsServesAndRelays() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<net.count))
        // History before the full node exists: more than a checkpoint interval (10), so catch-up crosses checkpoints.
        for _ in 0..<25 { try await net.submitTransfer(to: 0) }
        try await net.waitCommitted([0, 1, 2, 3])
        let full = try net.addFullNode()
        try net.start(full)
        try await net.waitCommitted([full], seconds: 30)
        let status = try await net.status(full)
        XCTAssertEqual(status["role"] as? String, "full")
        XCTAssertTrue(status["node_id"] is NSNull, "a full node has no validator id: \(status)")
        XCTAssertEqual(status["peers"] as? Int, 4, "it dials every validator")
        // Live blocks, submitted to a validator: pushed to the full node.
        for _ in 0..<5 { try await net.submitTransfer(to: 1) }
        try await net.waitCommitted([full, 0, 1, 2, 3])
        // Relayed: submitted to the full node, committed by the validators.
        for _ in 0..<5 {
            let r = try await net.submitTransfer(to: full)
            XCTAssertNotNil(r["result"], "the full node accepts a transfer for relay: \(r)")
        }
        try await net.waitCommitted([0, 1, 2, 3, full])
        let height = try await net.height(0)
        try await net.waitUntil("the full node at the validators' height", seconds: 20) { try await net.height(full) >= height }
        let atValidator = try await net.hashes(0, upTo: height)
        let atFull = try await net.hashes(full, upTo: height)
        XCTAssertEqual(atFull, atValidator, "the full node holds the same chain")
        // A commit certificate of a block the full node fetched by state transfer is served like a validator's.
        let commit = try await net.call(full, "commit", "{\"height\":\"3\"}")
        XCTAssertNotNil((commit["result"] as? [String: Any])?["certificate"], "\(commit)")
        XCTAssertFalse(net.log(full).contains("critical"), "no critical line in the full node's log")
        let metrics = try await net.get(0, "/metrics").body
        XCTAssertTrue(metrics.contains("ledger_p2p_full_nodes_connected 1"), "the validator reports its full node")
    }

    func testAFullNodeCatchesUpAfterItsRestartAndFollowsAcrossAValidatorCrash() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<net.count))
        let full = try net.addFullNode()
        try net.start(full)
        try await net.waitUntil("the full node's RPC answers", seconds: 20) { (try? await net.status(full)) != nil }
        for _ in 0..<3 { try await net.submitTransfer(to: full) }
        try await net.waitCommitted([0, 1, 2, 3, full])
        // Down while the chain moves on; back, it catches up.
        try net.kill9(full)
        for _ in 0..<15 { try await net.submitTransfer(to: 2) }
        try await net.waitCommitted([0, 1, 2, 3])
        try net.start(full)
        try await net.waitCommitted([full], seconds: 30)
        // A backup crashes (SIGKILL): the other three still commit and the full node still follows and relays.
        try net.kill9(3)
        for _ in 0..<5 { try await net.submitTransfer(to: full) }
        try await net.waitCommitted([0, 1, 2, full], seconds: 40)
        // The primary crashes too late to matter for safety: with f = 1 the chain needs 3, so bring 3 back first.
        try net.start(3)
        try await net.waitCommitted([3], seconds: 40)
        let height = try await net.height(full)
        let atValidator = try await net.hashes(3, upTo: height)
        let atFull = try await net.hashes(full, upTo: height)
        XCTAssertEqual(atFull, atValidator)
    }
}
