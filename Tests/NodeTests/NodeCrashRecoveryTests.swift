// Checks crash recovery with real processes: kill -9 the primary (view change, commits go on, it catches up on restart) and a backup (catches up by state transfer past several checkpoints).
import Foundation
import P2P
import XCTest

final class NodeCrashRecoveryTests: XCTestCase {
    func testKillingThePrimaryCausesAViewChangeAndItCatchesUpAfterRestart() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<4))
        for _ in 0..<5 { try await net.submitTransfer(to: 1) }
        try await net.waitCommitted(Array(0..<4))
        let primary = try await net.status(1)["primary"] as? Int ?? -1
        XCTAssertEqual(primary, 0)
        // Kill the primary while transactions are in flight, then keep submitting to a backup: the
        // remaining three must elect a new primary and commit.
        for _ in 0..<10 { try await net.submitTransfer(to: 1) }
        try net.kill9(0)
        for _ in 0..<10 { try await net.submitTransfer(to: 1) }
        try await net.waitCommitted([1, 2, 3], seconds: 40)
        // `status` reads a snapshot refreshed every 50 ms (docs/rpc.md), so the commit can be seen before the view.
        try await net.waitUntil("node 1 to report a view above 0 after the primary died", seconds: 10) {
            (UInt64(try await net.status(1)["view"] as? String ?? "") ?? 0) > 0
        }
        try net.start(0)
        for _ in 0..<5 { try await net.submitTransfer(to: 2) }
        try await net.waitCommitted([0, 1, 2, 3], seconds: 40)
        let h = min(try await net.height(0), try await net.height(1))
        let restarted = try await net.hashes(0, upTo: h)
        let other = try await net.hashes(1, upTo: h)
        XCTAssertEqual(restarted, other, "restarted primary's chain differs")
    }

    func testKilledBackupCatchesUpByStateTransferPastSeveralCheckpoints() async throws {
        let net = try TestnetHarness(checkpointInterval: 5)
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<4))
        try await net.submitTransfer(to: 0)
        try await net.waitCommitted(Array(0..<4))
        try net.kill9(3)
        let killed = ContinuousClock.now
        // One transaction at a time → roughly one block each; go past several checkpoints (interval 5,
        // window 20), and stay down past the peers' send-queue retention, so that they no longer hold
        // their messages for node 3 and it has to fetch the blocks.
        let retention = Duration.nanoseconds(P2PLimits.standard.disconnectedQueueRetention.nanoseconds)
        var target: UInt64 = 0
        while target < 45 || ContinuousClock.now - killed < retention + .milliseconds(500) {
            try await net.submitTransfer(to: 0)
            try await net.waitCommitted([0, 1, 2])
            target = try await net.height(0)
        }
        try net.start(3)
        try await net.waitUntil("node 3 reaches height \(target)", seconds: 40) {
            ((try? await net.height(3)) ?? 0) >= target
        }
        // It caught up by state transfer (fetching blocks), not from messages its peers still held: the restarted
        // process's /metrics shows the height state transfer applied up to (0 until a transfer applies blocks).
        var transferred: Double = 0
        try await net.waitUntil("node 3's /metrics to show blocks applied by state transfer", seconds: 10) {
            guard let (_, text) = try? await net.get(3, "/metrics") else { return false }
            transferred = PrometheusTextCheck.value(text, "ledger_state_transfer_height") ?? 0
            return transferred > 0
        }
        XCTAssertLessThanOrEqual(transferred, Double(target), "state transfer went past the chain's height")
        let caughtUp = try await net.hashes(3, upTo: target)
        let reference = try await net.hashes(0, upTo: target)
        XCTAssertEqual(caughtUp, reference)
        // And it keeps committing with the others.
        try await net.submitTransfer(to: 3)
        try await net.waitCommitted(Array(0..<4), seconds: 20)
    }
}
