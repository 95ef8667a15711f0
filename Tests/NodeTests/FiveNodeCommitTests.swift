// Checks, with five real ledger-node processes (n = 5: f = 1, quorum 4), that transfers commit on all five with identical
// blocks, that four commit with one killed, that three cannot (the classic quorum 2f + 1 = 3 would let them), and that
// the network commits again once a fourth is back.
import Foundation
import XCTest

final class FiveNodeCommitTests: XCTestCase {
    func testFiveValidatorsCommitWithAQuorumOfFourAndNotThree() async throws {
        let net = try TestnetHarness(validators: 5)
        defer { net.stopAll(); net.removeFiles() }
        XCTAssertEqual(net.result.genesis.quorum, 4)
        try net.startAll()
        try await net.waitConnected(Array(0..<5))
        for _ in 0..<10 {  // one node takes the faucet's nonces in order; gossip brings them to the others
            let r = try await net.submitTransfer(to: 2)
            XCTAssertNotNil(r["result"], "broadcast_tx_sync refused: \(r)")
        }
        try await net.waitCommitted(Array(0..<5))
        try await net.assertIdenticalBlocks(Array(0..<5))

        // One down (f = 1): the other four are a quorum.
        try net.kill9(4)
        for _ in 0..<3 { try await net.submitTransfer(to: 1) }
        try await net.waitCommitted([0, 1, 2, 3])

        // Two down: three of five are no quorum of four, so nothing commits (with 2f + 1 = 3 it would).
        try net.kill9(3)
        let before = try await [0, 1, 2].asyncMap { try await net.height($0) }
        let stalled = try await net.submitTransfer(to: 1)
        XCTAssertNotNil(stalled["result"], "broadcast_tx_sync refused: \(stalled)")
        try await Task.sleep(for: .seconds(4))
        let after = try await [0, 1, 2].asyncMap { try await net.height($0) }
        XCTAssertEqual(after, before, "three of five validators committed without a quorum of four")

        // A fourth is back: the stalled transfer commits.
        try net.start(3)
        try await net.waitCommitted([0, 1, 2, 3], seconds: 90)
    }
}
