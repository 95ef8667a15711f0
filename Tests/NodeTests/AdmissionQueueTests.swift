// Checks the admission queue's gossip path on a real driver and store (the network is not started): transactions
// queued without waiting are admitted in order, ahead of what is submitted after them, and past one driver call's
// worth the queue declines so that the caller waits instead.
import Foundation
import LedgerCore
import LedgerCrypto
import Logging
@testable import Node
import XCTest

final class AdmissionQueueTests: XCTestCase {
    func testGossipQueuedWithoutWaitingIsAdmittedInOrderAheadOfLaterSubmissions() async throws {
        let directory = NSTemporaryDirectory() + "admission-queue-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try TestnetGenerator(validators: 4, outputDirectory: directory, basePort: 39_000, chainID: "admission-queue",
                                          consensus: .testDefaults).generate()
        var logger = Logger(label: "admission-queue-test")
        logger.logLevel = .error
        let node = try LedgerNode(home: NodeHome.load(result.homes[1]), logger: logger)  // a backup
        try await node.driver.start()
        let to = Address(publicKey: SigningKey.generate().publicKey)
        func transfers(_ nonces: Range<UInt64>) throws -> [Transaction] {
            try nonces.map { try Transaction.signed(chainID: "admission-queue", sender: result.faucetKey, recipient: to, amount: 1, nonce: $0) }
        }

        XCTAssertTrue(node.admissions.enqueue(try transfers(0..<2), fromClient: false))
        XCTAssertTrue(node.admissions.enqueue(try transfers(2..<3), fromClient: false))
        // A client's next nonce is taken only if it follows one the node holds: 0–2 must be in before 3 is judged.
        let outcome = await node.admissions.admit(try transfers(3..<4), fromClient: true)
        XCTAssertEqual(outcome, [nil], "nonce 3 follows the gossip queued before it")
        let held = node.driver.mempool.count
        XCTAssertEqual(held, 4)

        // More than one driver call's worth is not queued unawaited: the caller is told to wait (admit).
        let many = try transfers(4..<UInt64(5 + NodeLimits.admissionBatchMax))
        XCTAssertFalse(node.admissions.enqueue(many, fromClient: false))
        let results = await node.admissions.admit(many, fromClient: false)
        XCTAssertEqual(results.compactMap { $0 }.count, 0, "all admitted through the waiting path")
        let after = node.driver.mempool.count
        XCTAssertEqual(after, 4 + many.count)
        await node.driver.stop()
    }
}
