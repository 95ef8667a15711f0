// Checks the intake filter: batch-carrying messages the replica would drop on arrival (a PRE-PREPARE at or below the low watermark, a COMMITTED-BATCH already committed, a FETCHED-BATCH nobody asked for) are refused before verification, everything else passes, and the replica's filter follows its commits and its wanted batches.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class IntakeFilterTests: XCTestCase {
    let batch = TestBatch(view: .zero, timestampMilliseconds: 1_000_001, requests: [TestRequest(id: 1)])

    func prePrepare(at seq: UInt64) -> Message<TestBatch> {
        .prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(seq), digest: batch.digest), by: 0), batch: batch)
    }

    func committed(at seq: UInt64) -> Message<TestBatch> {
        let commit = signed(Commit(view: .zero, sequence: SequenceNumber(seq), digest: batch.digest), by: 1)
        return .committedBatch(CommitCertificate(view: .zero, sequence: SequenceNumber(seq), digest: batch.digest, commits: [commit]), batch: batch)
    }

    func testTheRules() {
        let filter = IntakeFilter<TestBatch>(lowWatermark: SequenceNumber(8), lastCommitted: SequenceNumber(10), wantedBatches: [])
        XCTAssertNotNil(filter.refusal(prePrepare(at: 8)))
        XCTAssertNil(filter.refusal(prePrepare(at: 9)))
        XCTAssertNotNil(filter.refusal(committed(at: 10)))
        XCTAssertNil(filter.refusal(committed(at: 11)))
        XCTAssertNotNil(filter.refusal(.fetchedBatch(batch)))
        let wanting = IntakeFilter<TestBatch>(lowWatermark: .zero, lastCommitted: .zero, wantedBatches: [batch.digest])
        XCTAssertNil(wanting.refusal(.fetchedBatch(batch)))
        XCTAssertNil(IntakeFilter<TestBatch>.open.refusal(.fetchedBatch(batch)), "before the replica starts, nothing is refused")
        // Single-signature messages always pass, even far below the watermark.
        XCTAssertNil(filter.refusal(.prepare(signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: batch.digest), by: 2))))
        XCTAssertNil(filter.refusal(.checkpoint(signed(Checkpoint(sequence: SequenceNumber(4), blockHash: batch.digest), by: 2))))
    }

    func testTheReplicasFilterFollowsItsCommits() {
        var c = Cluster()
        XCTAssertEqual(c.replicas[1].intakeFilter.lastCommitted, .zero)
        c.submit([1, 2])
        c.deliverAll()
        let filter = c.replicas[1].intakeFilter
        XCTAssertEqual(filter.lastCommitted, c.replicas[1].lastCommitted)
        XCTAssertGreaterThan(filter.lastCommitted, .zero)
        XCTAssertNotNil(filter.refusal(committed(at: filter.lastCommitted.rawValue)), "a replayed committed batch")
        XCTAssertTrue(filter.wantedBatches.isEmpty)
    }
}
