// Checks durability against equivocation: a replica rebuilt from its persisted consensus log resumes in its view and never signs a conflicting message.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class RestartTests: XCTestCase {
    func restart(_ c: inout Cluster, _ i: Int) {
        let executed = c.committed[i].last
        let recovered = RecoveredState<TestBatch>(
            records: c.persisted[i], lastExecuted: executed?.sequence ?? .zero,
            lastExecutedBlockHash: executed.map { blockHash($0.sequence, $0.batch.digest) } ?? .zero,
            lastExecutedTimestampMilliseconds: executed?.batch.timestampMilliseconds ?? 0)
        c.replicas[i] = try! Replica(configuration: testConfig(i), signer: SimulatedSigner(replica: ReplicaID(i)))
        c.handle(i, .start(recovered))
    }

    func testRestartedReplicaDoesNotSignAConflictingPrepare() {
        var c = Cluster()
        let a = TestBatch(view: .zero, timestampMilliseconds: 1_000_001, requests: [TestRequest(id: 1)])
        let b = TestBatch(view: .zero, timestampMilliseconds: 1_000_001, requests: [TestRequest(id: 2)])
        c.deliver(.prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: a.digest), by: 0), batch: a), to: 1)
        restart(&c, 1)
        XCTAssertEqual(c.replicas[1].view, .zero)
        // The (equivocating) primary now sends a different batch for the same (view, seq).
        c.deliver(.prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: b.digest), by: 0), batch: b), to: 1)
        let prepared = c.persisted[1].compactMap { if case let .prepare(p) = $0 { p.body.digest } else { nil } }
        XCTAssertEqual(prepared, [a.digest], "never a prepare for b")
        // After the restart it still knows its pre-prepare for a: it reports the conflict.
        XCTAssertEqual(c.evidence[1].count, 1)
        // Its retransmission re-sends the original prepare.
        c.queue.removeAll()
        c.handle(1, .timerFired(.retransmit))
        let resent = c.queue.compactMap { if $0.from == 1, case let .prepare(p) = $0.message { p.body.digest } else { nil } }
        XCTAssertTrue(resent.allSatisfy { $0 == a.digest })
        XCTAssertFalse(resent.isEmpty)
    }

    /// A primary that crashed with a proposal uncommitted, then gets the same request again (a client's retry,
    /// gossip): its log holds the request at sequence 1, so it never proposes it at another sequence.
    func testARestartedPrimaryDoesNotProposeAgainARequestItsLogHolds() {
        var c = Cluster(retransmitMs: 100)
        c.filter = { _, _, _ in false }  // nothing reaches the backups: the proposal stays uncommitted
        c.handle(0, .requests([TestRequest(id: 1)]))
        let proposed = { (c: Cluster) in
            c.persisted[0].compactMap { if case let .prePrepare(p, b) = $0 { (p.body.sequence, b.requests.map(\.id)) } else { nil } }
        }
        XCTAssertEqual(proposed(c).map(\.0), [SequenceNumber(1)])
        restart(&c, 0)
        c.filter = { _, _, _ in true }
        c.queue.removeAll()
        c.handle(0, .requests([TestRequest(id: 1), TestRequest(id: 2)]))
        c.deliverAll()
        for _ in 0..<10 { c.advance(100); c.deliverAll() }
        let after = proposed(c)
        XCTAssertEqual(after.filter { $0.1.contains(1) }.map(\.0), [SequenceNumber(1)], "request 1 proposed again: \(after)")
        XCTAssertTrue(after.contains { $0.1 == [2] }, "the new request is still proposed: \(after)")
    }

    func testRestartedReplicaWithoutTheBatchStillRefusesTheConflict() {
        var c = Cluster()
        let a = TestBatch(view: .zero, timestampMilliseconds: 1_000_001, requests: [TestRequest(id: 1)])
        let b = TestBatch(view: .zero, timestampMilliseconds: 1_000_001, requests: [TestRequest(id: 2)])
        c.deliver(.prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: a.digest), by: 0), batch: a), to: 2)
        // Lose the pre-prepare record (torn write), keep the prepare record.
        c.persisted[2].removeAll { if case .prePrepare = $0 { true } else { false } }
        restart(&c, 2)
        c.deliver(.prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: b.digest), by: 0), batch: b), to: 2)
        let prepared = c.persisted[2].compactMap { if case let .prepare(p) = $0 { p.body.digest } else { nil } }
        XCTAssertEqual(prepared, [a.digest])
    }

    func testRestartDuringAViewChangeResumesTheSameViewChange() {
        var c = Cluster()
        c.handle(3, .requests([TestRequest(id: 1)]))
        c.queue.removeAll()
        c.relayFilter = { _, _ in false }  // its relay to the primary is lost too
        c.advance(1_000)  // replica 3 alone times out
        XCTAssertEqual(c.replicas[3].view, View(1))
        let original = c.persisted[3].compactMap { if case let .viewChange(m, _) = $0 { m } else { nil } }
        XCTAssertEqual(original.count, 1)
        c.queue.removeAll()
        restart(&c, 3)
        XCTAssertEqual(c.replicas[3].view, View(1))
        XCTAssertTrue(c.replicas[3].isChangingView)
        let resent = c.queue.compactMap { if case let .viewChange(m) = $0.message { m } else { nil } }
        XCTAssertFalse(resent.isEmpty)
        XCTAssertTrue(resent.allSatisfy { $0 == original[0] }, "the same signed VIEW-CHANGE, not a new one")
        XCTAssertEqual(c.persisted[3].filter { if case .viewChange = $0 { true } else { false } }.count, 1)
    }

    func testRestartedReplicaRejoinsAndCommits() {
        var c = Cluster()
        c.submit([1, 2])
        c.deliverAll()
        restart(&c, 2)
        c.deliverAll()
        c.submit([3, 4])
        c.deliverAll()
        XCTAssertEqual(c.committedIDs(2), [1, 2, 3, 4])
    }

    func testPreparedCertificatesSurviveARestartSoTheNewViewKeepsACommittedBatch() {
        var c = Cluster()
        // Replica 3 is silent; commits reach only replica 0, which alone executes seq 1.
        c.filter = { from, to, m in
            if from == 3 || to == 3 { return false }
            if case .commit = m, to != 0 { return false }
            return true
        }
        c.submit([8], to: [0, 1, 2])
        c.deliverAll()
        c.advance(20)
        XCTAssertEqual(c.committedIDs(0), [8])
        let digest = c.committed[0][0].batch.digest
        // Everyone restarts from its log (in-memory certificates are gone).
        for i in 0...2 { restart(&c, i) }
        c.queue.removeAll()
        c.filter = { from, to, _ in from != 3 && to != 3 }
        c.relayFilter = { _, _ in false }  // the primary never hears of request 8 again: the backups time out
        c.handle(1, .requests([TestRequest(id: 8)]))
        c.handle(2, .requests([TestRequest(id: 8)]))
        c.advance(1_000)
        c.advance(200)
        for i in 0...2 { XCTAssertEqual(c.replicas[i].view, View(1), "replica \(i)") }
        XCTAssertEqual(c.committed[1].first?.batch.digest, digest, "view 1 re-issues the batch replica 0 executed")
        XCTAssertEqual(c.committed[2].first?.batch.digest, digest)
        XCTAssertEqual(c.committed[0].count, 1, "and replica 0 does not execute seq 1 twice")
    }
}
