// Checks the normal-case rules of Castro & Liskov §4.2 by driving four replicas by hand: pre-prepare acceptance, prepared and committed-local predicates, in-order execution.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class NormalCaseTests: XCTestCase {
    func batch(_ ids: [UInt64], view: View = .zero, ts: UInt64 = 1_000_000) -> TestBatch {
        TestBatch(view: view, timestampMilliseconds: ts, requests: ids.map { TestRequest(id: $0) })
    }

    func prePrepare(_ b: TestBatch, seq: UInt64, view: UInt64 = 0, by: Int = 0) -> TMessage {
        .prePrepare(signed(PrePrepare(view: View(view), sequence: SequenceNumber(seq), digest: b.digest), by: by), batch: b)
    }

    func sentPrepares(_ c: Cluster, from i: Int) -> [Prepare] {
        c.persisted[i].compactMap { if case let .prepare(p) = $0 { p.body } else { nil } }
    }

    func testAllReplicasCommitTheSameBatchesInOrder() {
        var c = Cluster()
        c.submit([1, 2, 3, 4, 5])
        c.deliverAll()
        c.advance(20)  // batch delay for the odd one out
        for i in 0..<4 {
            XCTAssertEqual(c.committedIDs(i), [1, 2, 3, 4, 5], "replica \(i)")
            XCTAssertEqual(c.committed[i].map(\.sequence.rawValue), [1, 2, 3])
            for cb in c.committed[i] {
                XCTAssertNoThrow(try cb.certificate.verify(scheme: SimulatedSignatureScheme(replicaCount: 4), context: testContext))
                XCTAssertEqual(cb.certificate.digest, cb.batch.digest)
            }
        }
    }

    func testPrePrepareForAnotherViewIsNotAccepted() {
        var c = Cluster()
        c.deliver(prePrepare(batch([1]), seq: 1, view: 1, by: 1), to: 2)
        XCTAssertTrue(sentPrepares(c, from: 2).isEmpty)
        XCTAssertEqual(c.replicas[2].counters.droppedWrongView, 1)
    }

    func testPrePrepareFromABackupIsNotAccepted() {
        var c = Cluster()
        c.deliver(prePrepare(batch([1]), seq: 1, view: 0, by: 3), to: 2)
        XCTAssertTrue(sentPrepares(c, from: 2).isEmpty)
        XCTAssertEqual(c.replicas[2].counters.rejected, 1)
    }

    func testPrePrepareOutsideTheWatermarksIsDropped() {
        var c = Cluster()  // window 8: (0, 8]
        c.deliver(prePrepare(batch([1]), seq: 9), to: 1)
        c.deliver(prePrepare(batch([2]), seq: 0), to: 1)
        XCTAssertTrue(sentPrepares(c, from: 1).isEmpty)
        XCTAssertEqual(c.replicas[1].counters.droppedOutsideWatermarks, 2)
        c.deliver(prePrepare(batch([3]), seq: 8), to: 1)
        XCTAssertEqual(sentPrepares(c, from: 1).map(\.sequence), [SequenceNumber(8)])
    }

    func testConflictingPrePrepareIsEvidenceAndNotAccepted() {
        var c = Cluster()
        let a = batch([1]), b = batch([2])
        c.deliver(prePrepare(a, seq: 1), to: 1)
        c.deliver(prePrepare(b, seq: 1), to: 1)
        XCTAssertEqual(sentPrepares(c, from: 1).map(\.digest), [a.digest], "prepared only the first digest")
        XCTAssertEqual(c.evidence[1].count, 1)
        let e = c.evidence[1][0]
        XCTAssertEqual(e.offender, ReplicaID(0))
        XCTAssertTrue(e.verify(scheme: SimulatedSignatureScheme(replicaCount: 4), context: testContext))
        // A tampered copy is not evidence.
        var forged = e
        if case let .prePrepare(m) = forged.second {
            forged.second = .prePrepare(Signed(body: m.body, epoch: m.epoch, signer: m.signer, signature: .zero))
        }
        XCTAssertFalse(forged.verify(scheme: SimulatedSignatureScheme(replicaCount: 4), context: testContext))
    }

    /// The backup that saw the other batch of an equivocating primary catches up by state transfer: the fetched
    /// commit certificates, compared with the votes it received itself before they are pruned, are evidence.
    func testTransferredCertificatesAreCrossCheckedForEvidence() throws {
        var c = Cluster()
        let a = batch([1]), b = batch([2])
        c.deliver(prePrepare(b, seq: 1), to: 1)
        c.deliver(.commit(signed(Commit(view: .zero, sequence: SequenceNumber(1), digest: b.digest), by: 0)), to: 1)
        let scheme = SimulatedSignatureScheme(replicaCount: 4)
        func certificate(_ x: TestBatch, signers: [Int]) -> CommitCertificate {
            CommitCertificate(view: .zero, sequence: SequenceNumber(1), digest: x.digest,
                              commits: signers.map { signed(Commit(view: .zero, sequence: SequenceNumber(1), digest: x.digest), by: $0) })
        }
        // The same digest as what replica 1 saw: nothing to report.
        c.handle(1, .transferredCertificates([try certificate(b, signers: [0, 2, 3]).verified(scheme: scheme, context: testContext)]))
        XCTAssertTrue(c.evidence[1].isEmpty)
        // Another digest, without replica 0's commit: nothing replica 0 signed twice.
        c.handle(1, .transferredCertificates([try certificate(a, signers: [1, 2, 3]).verified(scheme: scheme, context: testContext)]))
        XCTAssertTrue(c.evidence[1].isEmpty)
        // Another digest with replica 0's commit: evidence against it, which verifies.
        c.handle(1, .transferredCertificates([try certificate(a, signers: [0, 2, 3]).verified(scheme: scheme, context: testContext)]))
        XCTAssertEqual(c.evidence[1].map(\.offender), [ReplicaID(0)])
        XCTAssertTrue(c.evidence[1][0].verify(scheme: scheme, context: testContext))
        // A certificate with a forged commit never reaches the replica.
        var forged = certificate(a, signers: [0, 2, 3])
        forged.commits[0] = Signed(body: forged.commits[0].body, epoch: 0, signer: forged.commits[0].signer, signature: .zero)
        XCTAssertThrowsError(try forged.verified(scheme: scheme, context: testContext))
    }

    func testBackupRejectsBatchWhoseTimestampIsNotAfterThePrevious() {
        var c = Cluster()
        c.deliver(prePrepare(batch([1], ts: 1_000_500), seq: 1), to: 1)
        c.deliver(prePrepare(batch([2], ts: 1_000_500), seq: 2), to: 1)
        c.deliver(prePrepare(batch([3], ts: 1_000_000 + 60_000), seq: 3), to: 1)  // beyond now + drift
        XCTAssertEqual(sentPrepares(c, from: 1).map(\.sequence.rawValue), [1])
        c.deliver(prePrepare(batch([4], ts: 1_000_501), seq: 4), to: 1)
        XCTAssertEqual(sentPrepares(c, from: 1).map(\.sequence.rawValue), [1, 4])
    }

    func testPreparedNeedsTwoFPreparesFromDistinctReplicas() {
        var c = Cluster()
        let b = batch([1])
        let d = b.digest
        c.deliver(prePrepare(b, seq: 1), to: 1)  // replica 1 prepares (its own prepare counts)
        func commits() -> Int { c.persisted[1].filter { if case .commit = $0 { true } else { false } }.count }
        XCTAssertEqual(commits(), 0)
        let p2 = signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: d), by: 2)
        c.deliver(.prepare(p2), to: 1)
        c.deliver(.prepare(p2), to: 1)  // a duplicate from the same replica does not count twice
        // The primary's prepare never counts.
        c.deliver(.prepare(signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: d), by: 0)), to: 1)
        XCTAssertEqual(commits(), 1, "own + replica 2 = 2f prepares → prepared → commit")
        var c2 = Cluster()
        c2.deliver(prePrepare(b, seq: 1), to: 1)
        c2.deliver(.prepare(p2), to: 1)
        c2.deliver(.prepare(p2), to: 1)
        XCTAssertEqual(c2.replicas[1].counters.duplicates, 1)
        // Without replica 1's own prepare (replica 3's view): pre-prepare + one prepare is not enough.
        c2.deliver(.prepare(p2), to: 3)
        XCTAssertTrue(c2.persisted[3].isEmpty)
    }

    func testPrepareForAnotherDigestDoesNotCount() {
        var c = Cluster()
        let b = batch([1])
        c.deliver(prePrepare(b, seq: 1), to: 1)
        c.deliver(.prepare(signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: batch([9]).digest), by: 2)), to: 1)
        XCTAssertFalse(c.persisted[1].contains { if case .commit = $0 { true } else { false } })
    }

    func testCommittedLocalNeedsQuorumOfCommits() {
        var c = Cluster()
        let b = batch([1])
        let d = b.digest
        c.deliver(prePrepare(b, seq: 1), to: 1)
        c.deliver(.prepare(signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: d), by: 2)), to: 1)
        XCTAssertTrue(c.committed[1].isEmpty)
        let c2 = signed(Commit(view: .zero, sequence: SequenceNumber(1), digest: d), by: 2)
        c.deliver(.commit(c2), to: 1)
        c.deliver(.commit(c2), to: 1)
        XCTAssertTrue(c.committed[1].isEmpty, "own + one other commit, even duplicated, is 2 < 2f + 1")
        c.deliver(.commit(signed(Commit(view: .zero, sequence: SequenceNumber(1), digest: d), by: 0)), to: 1)
        XCTAssertEqual(c.committed[1].map(\.sequence.rawValue), [1])
        XCTAssertEqual(Set(c.committed[1][0].certificate.commits.map(\.signer)), [ReplicaID(0), ReplicaID(1), ReplicaID(2)])
    }

    func testExecutionWaitsForAGapAndThenRunsInOrder() {
        var c = Cluster()
        // Replica 3 misses the pre-prepare for seq 1 (and thus everything replica 3 would say about it).
        c.filter = { _, to, m in !(to == 3 && { if case let .prePrepare(pp, _) = m { pp.body.sequence.rawValue == 1 } else { false } }()) }
        c.submit([1, 2])
        c.deliverAll()
        c.submit([3, 4])
        c.deliverAll()
        XCTAssertEqual(c.committed[0].map(\.sequence.rawValue), [1, 2])
        XCTAssertTrue(c.committed[3].isEmpty, "seq 2 committed-local at replica 3, but seq 1 is missing")
        // The missed pre-prepare arrives late (retransmission); both execute, in order.
        c.filter = { _, _, _ in true }
        let pp = c.persisted[0].compactMap { if case let .prePrepare(m, b) = $0, m.body.sequence.rawValue == 1 { TMessage.prePrepare(m, batch: b) } else { nil } }[0]
        c.deliver(pp, to: 3)
        // Others resend their prepares/commits for seq 1 (what retransmission does).
        for i in 0..<3 {
            for r in c.persisted[i] {
                switch r {
                case let .prepare(p) where p.body.sequence.rawValue == 1: c.deliver(.prepare(p), to: 3)
                case let .commit(m) where m.body.sequence.rawValue == 1: c.deliver(.commit(m), to: 3)
                default: break
                }
            }
        }
        c.deliverAll()
        XCTAssertEqual(c.committed[3].map(\.sequence.rawValue), [1, 2])
    }

    func testCensoredRequestTriggersAViewChange() {
        var c = Cluster()
        c.filter = { from, _, _ in from != 0 }  // the primary is silent towards everyone
        c.submit([42], to: [1, 2, 3])  // the primary never hears of it either
        c.deliverAll()
        c.advance(1_000)
        XCTAssertEqual(c.replicas[1].view, View(1))
        c.advance(10)
        for i in 1...3 {
            XCTAssertEqual(c.replicas[i].view, View(1))
            XCTAssertFalse(c.replicas[i].isChangingView)
            XCTAssertEqual(c.committedIDs(i), [42], "replica \(i)")
        }
    }

    func testAPrimaryThatOrdersOtherRequestsButCensorsOneIsReplaced() {
        var c = Cluster()
        c.submit([42], to: [1, 2, 3])  // the primary pretends never to have seen request 42
        c.relayFilter = { _, to in to != 0 }  // nor the backups' relays of it
        var next: UInt64 = 100
        for _ in 0..<12 {  // other requests keep committing every 100 ms
            c.submit([next]); next += 1
            c.advance(100)
        }
        XCTAssertTrue(c.committedIDs(1).contains(100), "the primary makes progress on other requests")
        XCTAssertEqual(c.replicas[1].view, View(1), "but the backups still change view after the timeout")
        c.advance(100)
        XCTAssertTrue(c.committedIDs(1).contains(42), "the new primary orders the censored request")
        XCTAssertTrue(c.committedIDs(0).contains(42))
    }
}
