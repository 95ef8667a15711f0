// Checks, with four real ledger-node processes on 127.0.0.1, that transactions sent to one node commit on all four with identical block hashes.
import Foundation
import XCTest

final class FourNodeCommitTests: XCTestCase {
    func testTransactionsSubmittedToOneNodeCommitEverywhereWithIdenticalBlocks() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<4))
        for _ in 0..<30 {
            let r = try await net.submitTransfer(to: 1)
            XCTAssertNotNil(r["result"], "broadcast_tx_sync refused: \(r)")
        }
        try await net.waitCommitted(Array(0..<4))
        try await net.assertIdenticalBlocks(Array(0..<4))
        // A replayed transaction (same nonce) is refused with a reason.
        net.faucetNonce -= 1
        let replay = try await net.submitTransfer(to: 2)
        let message = ((replay["error"] as? [String: Any])?["message"] as? String) ?? ""
        XCTAssertTrue(message.contains("nonce"), "expected a nonce rejection, got \(replay)")
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
