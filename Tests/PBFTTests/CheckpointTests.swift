// Checks checkpoints and watermarks (Castro & Liskov §4.3): stability at 2f+1, garbage collection, the window bounding the primary, catch-up and state transfer for a lagging replica.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class CheckpointTests: XCTestCase {
    func testCheckpointBecomesStableAtQuorumAndTheLogIsCollected() {
        var c = Cluster()  // K = 4, L = 8, two requests per batch
        c.filter = { _, to, m in if case .checkpoint = m { to != 1 } else { true } }  // replica 1 hears no checkpoints yet
        c.submit(Array(1...8))
        c.deliverAll()
        XCTAssertEqual(c.committed[1].count, 4)
        XCTAssertEqual(c.replicas[1].lowWatermark, .zero, "only its own checkpoint: not stable")
        XCTAssertEqual(c.replicas[1].logEntryCount, 4)
        let checkpoints = (0..<4).compactMap { i in
            c.persisted[i].compactMap { if case let .checkpoint(m) = $0 { m } else { nil } }.first
        }
        XCTAssertEqual(checkpoints.count, 4)
        XCTAssertEqual(Set(checkpoints.map(\.body.blockHash)).count, 1, "every replica computed the same block hash")
        c.deliver(.checkpoint(checkpoints[0]), to: 1)
        XCTAssertEqual(c.replicas[1].lowWatermark, .zero, "2 of 3 needed")
        c.deliver(.checkpoint(checkpoints[0]), to: 1)
        XCTAssertEqual(c.replicas[1].lowWatermark, .zero, "a duplicate does not count")
        c.deliver(.checkpoint(checkpoints[2]), to: 1)
        XCTAssertEqual(c.replicas[1].lowWatermark, SequenceNumber(4))
        XCTAssertEqual(c.replicas[1].highWatermark, SequenceNumber(12))
        XCTAssertEqual(c.replicas[1].logEntryCount, 0, "entries at or below the stable checkpoint are discarded")
        XCTAssertNil(c.replicas[1].lowestLogSequence)
        XCTAssertEqual(c.replicas[1].stableCheckpoint.checkpoints.count, 3)
        XCTAssertTrue(c.persisted[1].contains { if case let .stableCheckpoint(p) = $0 { p.sequence == SequenceNumber(4) } else { false } })
        XCTAssertEqual(c.replicas[0].lowWatermark, SequenceNumber(4))
    }

    func testThePrimaryStopsAtTheHighWatermarkUntilACheckpointIsStable() {
        var c = Cluster()
        c.filter = { _, _, m in if case .checkpoint = m { false } else { true } }
        c.submit(Array(1...20))
        c.deliverAll()
        XCTAssertEqual(c.committed[0].last?.sequence, SequenceNumber(8), "window (0, 8] is full")
        XCTAssertEqual(c.replicas[0].pendingRequestCount, 4)
        // Checkpoints flow again (retransmission of the latest checkpoint).
        c.filter = { _, _, _ in true }
        for i in 0..<4 {
            for case let .checkpoint(m) in c.persisted[i] { for j in 0..<4 where j != i { c.deliver(.checkpoint(m), to: j) } }
        }
        c.deliverAll()
        c.advance(20)
        XCTAssertEqual(c.replicas[0].lowWatermark, SequenceNumber(8))
        XCTAssertEqual(c.committedIDs(2), Array(1...20))
        for i in 0..<4 { XCTAssertLessThanOrEqual(c.replicas[i].logEntryCount, 8) }
    }

    func testALaggingReplicaCatchesUpFromStatusWithCertifiedBatches() {
        var c = Cluster()
        c.filter = { from, to, _ in from != 3 && to != 3 }
        c.submit([1, 2, 3, 4])
        c.deliverAll()
        XCTAssertEqual(c.committed[0].count, 2)
        XCTAssertTrue(c.committed[3].isEmpty)
        c.filter = { _, _, _ in true }
        c.advance(100_000)  // the retransmission timer: replica 3's STATUS reaches the others
        XCTAssertEqual(c.committedIDs(3), [1, 2, 3, 4])
        XCTAssertEqual(c.committed[3].map(\.certificate), c.committed[0].map(\.certificate))
    }

    func testAReplicaFarBehindRequestsStateTransferAndResumes() {
        var c = Cluster()
        c.filter = { from, to, _ in from != 3 && to != 3 }
        c.submit(Array(1...24), to: [0, 1, 2])
        c.deliverAll()
        c.advance(20)
        XCTAssertEqual(c.committed[0].count, 12)
        XCTAssertEqual(c.replicas[0].lowWatermark, SequenceNumber(12))
        c.filter = { _, _, _ in true }
        c.advance(100_000)  // STATUS → the others send their stable checkpoint proof (seq 12, beyond replica 3's window)
        let targets = c.stateTransfers[3]
        XCTAssertEqual(targets.first?.sequence, SequenceNumber(12))
        XCTAssertGreaterThanOrEqual(Set(targets.first?.checkpoints.map(\.signer) ?? []).count, 2, "f + 1 signed checkpoints")
        let hash = c.replicas[0].stableCheckpoint.blockHash
        XCTAssertEqual(targets.first?.blockHash, hash)
        c.handle(3, .stateTransferred(SequenceNumber(12), blockHash: hash, timestampMilliseconds: c.committed[0].last!.batch.timestampMilliseconds))
        c.deliverAll()
        XCTAssertEqual(c.replicas[3].lastExecuted, SequenceNumber(12))
        XCTAssertEqual(c.replicas[3].lowWatermark, SequenceNumber(12))
        c.submit([100, 101])
        c.deliverAll()
        XCTAssertEqual(c.committed[3].last?.sequence, SequenceNumber(13))
        XCTAssertEqual(c.committedIDs(3).suffix(2), [100, 101])
    }
}

final class PendingRequestTests: XCTestCase {
    func testRequestsCommittedElsewhereStopTheViewChangeTimer() {
        var c = Cluster()
        c.handle(3, .requests([TestRequest(id: 1)]))
        XCTAssertEqual(c.timers[3][.viewChange], c.now + 1_000)
        c.handle(3, .requestsCommitted([TestRequest(id: 1).requestDigest]))
        XCTAssertEqual(c.replicas[3].pendingRequestCount, 0)
        XCTAssertNil(c.timers[3][.viewChange])
        c.advance(5_000)
        XCTAssertEqual(c.replicas[3].view, .zero)
        // A late copy of a committed request is not queued again.
        c.handle(3, .requests([TestRequest(id: 1)]))
        XCTAssertEqual(c.replicas[3].pendingRequestCount, 0)
    }

    func testThePendingQueueIsBoundedAndDeduplicated() {
        var config = testConfig(0)
        config.maxPendingRequests = 3
        var r = try! Replica<TestBatch>(configuration: config, signer: SimulatedSigner(replica: ReplicaID(1)))
        config.replicaID = ReplicaID(1)
        r = try! Replica<TestBatch>(configuration: config, signer: SimulatedSigner(replica: ReplicaID(1)))
        _ = r.handle(.start(.genesis), now: 0)
        _ = r.handle(.requests((1...5).map { TestRequest(id: $0) } + [TestRequest(id: 1)]), now: 0)
        XCTAssertEqual(r.pendingRequestCount, 3)
        XCTAssertEqual(r.counters.requestsDroppedQueueFull, 2)
    }
}
