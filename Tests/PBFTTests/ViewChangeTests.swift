// Checks the view-change rules of Castro & Liskov §4.4 (VIEW-CHANGE validity, the O-set computation, NEW-VIEW checking, the f+1 join rule, timeout doubling) with scripted messages to four replicas.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class ViewChangeTests: XCTestCase {
    let scheme = SimulatedSignatureScheme(replicaCount: 4)

    func batch(_ ids: [UInt64], view: UInt64 = 0, ts: UInt64 = 1_000_000) -> TestBatch {
        TestBatch(view: View(view), timestampMilliseconds: ts, requests: ids.map { TestRequest(id: $0) })
    }

    /// A valid prepared certificate for `b` at (view, seq): the primary's pre-prepare and prepares from two backups.
    func certificate(_ b: TestBatch, view: UInt64, seq: UInt64) -> PreparedCertificate {
        let v = View(view)
        let primary = v.primary(replicaCount: 4).index
        let backups = (0..<4).filter { $0 != primary }.prefix(2)
        return PreparedCertificate(
            prePrepare: signed(PrePrepare(view: v, sequence: SequenceNumber(seq), digest: b.digest), by: primary),
            prepares: backups.map { signed(Prepare(view: v, sequence: SequenceNumber(seq), digest: b.digest), by: $0) })
    }

    func viewChange(to view: UInt64, by: Int, certs: [PreparedCertificate] = [],
                    checkpoint: CheckpointProof = .genesis) -> (Signed<ViewChange>, TMessage) {
        let m = signed(ViewChange(newView: View(view), stableCheckpoint: checkpoint, preparedCertificates: certs), by: by)
        return (m, .viewChange(m))
    }

    /// The BATCH-FETCHes in the queue: (recipient, digests asked for).
    func fetches(_ c: Cluster, from i: Int) -> [(to: Int, digests: [Digest])] {
        c.queue.compactMap { if $0.from == i, case let .batchFetch(m) = $0.message { ($0.to, m.body.digests) } else { nil } }
    }

    func rejections(_ c: Cluster, _ i: Int, kind: String) -> [String] {
        c.notes[i].compactMap { if case let .rejected(k, _, reason) = $0, k == kind { reason } else { nil } }
    }

    // MARK: VIEW-CHANGE validity

    func testViewChangeWithTooFewCheckpointSignaturesIsRejected() {
        var c = Cluster()
        let hash = blockHash(SequenceNumber(4), batch([1]).digest)
        let proof = CheckpointProof(sequence: SequenceNumber(4), blockHash: hash, checkpoints: [
            signed(Checkpoint(sequence: SequenceNumber(4), blockHash: hash), by: 2),
            signed(Checkpoint(sequence: SequenceNumber(4), blockHash: hash), by: 3),
        ])
        c.deliver(viewChange(to: 1, by: 2, checkpoint: proof).1, to: 1)
        XCTAssertEqual(rejections(c, 1, kind: "view-change").count, 1)
        XCTAssertTrue(rejections(c, 1, kind: "view-change")[0].contains("distinct signers"))
        // The same proof with a third signature is accepted.
        var good = proof
        good.checkpoints.append(signed(Checkpoint(sequence: SequenceNumber(4), blockHash: hash), by: 0))
        c.deliver(viewChange(to: 1, by: 2, checkpoint: good).1, to: 1)
        XCTAssertEqual(rejections(c, 1, kind: "view-change").count, 1)
    }

    func testViewChangeWithBadPreparedCertificateIsRejected() {
        var c = Cluster()
        let b = batch([7])
        var tooFew = certificate(b, view: 0, seq: 1)
        tooFew.prepares.removeLast()
        var duplicated = certificate(b, view: 0, seq: 1)
        duplicated.prepares = [duplicated.prepares[0], duplicated.prepares[0]]
        var wrongPrimary = certificate(b, view: 0, seq: 1)
        wrongPrimary.prePrepare = signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: b.digest), by: 3)
        var mixed = certificate(b, view: 0, seq: 1)
        mixed.prepares[1] = signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: batch([8]).digest), by: 3)
        let fromFuture = certificate(b, view: 1, seq: 1)  // not below the new view 1
        for (i, cert) in [tooFew, duplicated, wrongPrimary, mixed, fromFuture].enumerated() {
            c.deliver(viewChange(to: 1, by: 2, certs: [cert]).1, to: 1)
            XCTAssertEqual(rejections(c, 1, kind: "view-change").count, i + 1, "case \(i)")
        }
        // And the well-formed one is accepted (it names its batch by digest only).
        c.deliver(viewChange(to: 1, by: 2, certs: [certificate(b, view: 0, seq: 1)]).1, to: 1)
        XCTAssertEqual(rejections(c, 1, kind: "view-change").count, 5)
    }

    func testAnEquivocatingPrimaryIsCaughtThroughACertificateInAViewChange() {
        var c = Cluster()
        let a = batch([1]), b = batch([2])
        c.deliver(.prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: b.digest), by: 0), batch: b), to: 3)
        XCTAssertTrue(c.evidence[3].isEmpty)
        // Replica 2 reports that a (the other batch) prepared at (v0, n1).
        c.deliver(viewChange(to: 1, by: 2, certs: [certificate(a, view: 0, seq: 1)]).1, to: 3)
        XCTAssertEqual(c.evidence[3].count, 1)
        XCTAssertEqual(c.evidence[3].first?.offender, ReplicaID(0))
        XCTAssertTrue(c.evidence[3].first?.verify(scheme: scheme, context: testContext) ?? false)
    }

    // MARK: O set

    func testNewViewOSetTakesHighestViewCertificateAndFillsGapsWithNull() {
        var c = Cluster()
        let a = batch([1]), b = batch([2], view: 1, ts: 1_000_100), d = batch([3])
        // Replica 0: seq 1 prepared in view 0 (digest a) and seq 3 (digest d). Replica 1: seq 1 prepared in view 1 (digest b).
        let vc0 = viewChange(to: 2, by: 0, certs: [certificate(a, view: 0, seq: 1), certificate(d, view: 0, seq: 3)])
        let vc1 = viewChange(to: 2, by: 1, certs: [certificate(b, view: 1, seq: 1)])
        let plan = c.replicas[2].computeNewViewPlan([vc0.0, vc1.0])
        XCTAssertEqual(plan.checkpoint.sequence, .zero)
        XCTAssertEqual(plan.maxS, SequenceNumber(3))
        XCTAssertEqual(plan.slots.map(\.0.rawValue), [1, 2, 3])
        XCTAssertEqual(plan.slots.map(\.1), [b.digest, TestBatch.null.digest, d.digest])

        // End to end: replica 2 (primary of view 2) joins on f + 1 view changes and sends that NEW-VIEW.
        c.deliver(vc0.1, to: 2)
        XCTAssertFalse(c.replicas[2].isChangingView, "one view change is not enough to join")
        c.deliver(vc1.1, to: 2)
        XCTAssertEqual(c.replicas[2].view, View(2))
        // Replica 2 holds neither batch of O: it asks the replicas whose certificates name them.
        XCTAssertTrue(c.replicas[2].isChangingView, "no NEW-VIEW before its batches are at hand")
        XCTAssertTrue(c.queue.allSatisfy { if case .newView = $0.message { false } else { true } })
        let asked = fetches(c, from: 2)
        XCTAssertEqual(asked.map(\.to), [0, 1])
        XCTAssertEqual(asked.map { Set($0.digests) }, [[d.digest], [b.digest]])
        c.queue.removeAll()
        // A batch nobody asked for is dropped; the asked ones complete the NEW-VIEW.
        c.deliver(.fetchedBatch(batch([99])), to: 2)
        XCTAssertEqual(c.replicas[2].counters.unwantedBatches, 1)
        c.deliver(.fetchedBatch(b), to: 2)
        XCTAssertTrue(c.replicas[2].isChangingView, "still lacking d")
        c.deliver(.fetchedBatch(d), to: 2)
        XCTAssertEqual(c.replicas[2].counters.batchesFetched, 2)
        let newViews = c.queue.compactMap { if case let .newView(m) = $0.message { m } else { nil } }
        XCTAssertEqual(newViews.count, 3, "broadcast to the three others")
        let nv = newViews[0]
        XCTAssertEqual(nv.body.prePrepares.map(\.body.digest), [b.digest, TestBatch.null.digest, d.digest])
        XCTAssertTrue(nv.body.prePrepares.allSatisfy { $0.body.view == View(2) && $0.signer == ReplicaID(2) })
        XCTAssertFalse(c.replicas[2].isChangingView)
        let record = c.persisted[2].compactMap { if case let .newView(m, bs) = $0 { (m, bs) } else { nil } }.last
        XCTAssertEqual(record?.0, nv)
        XCTAssertEqual(Set(record?.1.map(\.digest) ?? []), [b.digest, d.digest], "the log keeps O's batches")

        // Backups lack the batches too: they fetch them from the new primary, prepare O, and the
        // batches commit in view 2 (null batch at seq 2).
        c.deliverAll()
        for i in 0..<4 {
            XCTAssertEqual(c.replicas[i].view, View(2), "replica \(i)")
            XCTAssertEqual(c.committed[i].map(\.batch.digest), [b.digest, TestBatch.null.digest, d.digest], "replica \(i)")
        }
    }

    func testNewViewWithWrongOSetIsRejectedByBackups() {
        var c = Cluster()
        let a = batch([1]), b = batch([2], view: 1, ts: 1_000_100)
        let vc0 = viewChange(to: 2, by: 0, certs: [certificate(a, view: 0, seq: 1)])
        let vc1 = viewChange(to: 2, by: 1, certs: [certificate(b, view: 1, seq: 1)])
        let vc3 = viewChange(to: 2, by: 3)
        // The primary of view 2 proposes the older (lower-view) digest: O differs from the recomputation.
        let wrongO = [signed(PrePrepare(view: View(2), sequence: SequenceNumber(1), digest: a.digest), by: 2)]
        let bad = signed(NewView(view: View(2), viewChanges: [vc0.0, vc1.0, vc3.0], prePrepares: wrongO), by: 2)
        c.deliver(.newView(bad), to: 3)
        XCTAssertEqual(c.replicas[3].view, .zero)
        XCTAssertTrue(rejections(c, 3, kind: "new-view").first?.contains("differs") ?? false)
        // Too few view changes.
        let rightO = [signed(PrePrepare(view: View(2), sequence: SequenceNumber(1), digest: b.digest), by: 2)]
        let short = signed(NewView(view: View(2), viewChanges: [vc0.0, vc1.0], prePrepares: rightO), by: 2)
        c.deliver(.newView(short), to: 3)
        XCTAssertEqual(c.replicas[3].view, .zero)
        // Signed by someone other than the primary of view 2.
        let imposter = signed(NewView(view: View(2), viewChanges: [vc0.0, vc1.0, vc3.0], prePrepares: rightO), by: 1)
        c.deliver(.newView(imposter), to: 3)
        XCTAssertEqual(c.replicas[3].view, .zero)
        XCTAssertEqual(rejections(c, 3, kind: "new-view").count, 3)
        XCTAssertTrue(fetches(c, from: 3).isEmpty, "nothing is fetched for an invalid NEW-VIEW")
        // The correct one is accepted: replica 3 lacks b, asks the new primary first, and once
        // b arrives installs view 2 and prepares O.
        let good = signed(NewView(view: View(2), viewChanges: [vc0.0, vc1.0, vc3.0], prePrepares: rightO), by: 2)
        c.deliver(.newView(good), to: 3)
        XCTAssertEqual(c.replicas[3].view, .zero, "not installed without its batch")
        XCTAssertEqual(fetches(c, from: 3).map(\.to), [2])
        XCTAssertEqual(fetches(c, from: 3).first?.digests, [b.digest])
        // The retransmission timer asks the next holder (replica 1, whose certificate names b).
        c.queue.removeAll()
        c.handle(3, .timerFired(.retransmit))
        XCTAssertEqual(fetches(c, from: 3).map(\.to), [1])
        c.deliver(.fetchedBatch(b), to: 3)
        XCTAssertEqual(c.replicas[3].view, View(2))
        XCTAssertFalse(c.replicas[3].isChangingView)
        XCTAssertTrue(c.persisted[3].contains { if case let .prepare(p) = $0 { p.body.view == View(2) && p.body.digest == b.digest } else { false } })
    }

    func testAnInvalidNewViewFromTheNewPrimaryMovesBackupsOnAtOnceWithoutDoublingTheTimeout() {
        var c = Cluster()
        let vc0 = viewChange(to: 1, by: 0), vc2 = viewChange(to: 1, by: 2)
        c.deliver(vc0.1, to: 3)
        c.deliver(vc2.1, to: 3)
        XCTAssertEqual(c.replicas[3].view, View(1), "joined view 1 (f + 1 asked)")
        XCTAssertTrue(c.replicas[3].isChangingView)
        // View 1's primary signs a NEW-VIEW with an O entry that V does not justify.
        let madeUp = batch([9], view: 1)
        let wrongO = [signed(PrePrepare(view: View(1), sequence: SequenceNumber(1), digest: madeUp.digest), by: 1)]
        let vc3 = c.replicas[3].state.viewChange.own!.message
        let bad = signed(NewView(view: View(1), viewChanges: [vc0.0, vc2.0, vc3], prePrepares: wrongO), by: 1)
        c.deliver(.newView(bad), to: 3)
        XCTAssertEqual(c.replicas[3].view, View(2), "a provably faulty new primary is skipped without waiting for the timer")
        XCTAssertTrue(c.replicas[3].isChangingView)
        XCTAssertEqual(c.replicas[3].currentViewChangeTimeoutMs, 1_000, "not the network's fault: no doubling")
        // A NEW-VIEW for view 2 signed by someone else is no proof against view 2's primary.
        let imposter = signed(NewView(view: View(2), viewChanges: [], prePrepares: []), by: 1)
        c.deliver(.newView(imposter), to: 3)
        XCTAssertEqual(c.replicas[3].view, View(2))
    }

    // MARK: liveness rules

    func testFPlusOneViewChangesForHigherViewsMakeAReplicaJoinTheSmallest() {
        var c = Cluster()
        c.deliver(viewChange(to: 3, by: 2).1, to: 0)
        XCTAssertEqual(c.replicas[0].view, .zero)
        XCTAssertFalse(c.replicas[0].isChangingView)
        c.deliver(viewChange(to: 2, by: 3).1, to: 0)
        XCTAssertEqual(c.replicas[0].view, View(2), "joins the smallest of the f + 1 higher views")
        XCTAssertTrue(c.replicas[0].isChangingView)
        XCTAssertTrue(c.persisted[0].contains { if case let .viewChange(m, _) = $0 { m.body.newView == View(2) } else { false } })
    }

    func testViewChangeTimeoutDoublesPerFailedViewAndResetsOnProgress() {
        var c = Cluster(paceCheck: false)  // the view-change timer's own rule (the pace check would leave view 0 sooner)
        // The primary of view 0 is silent, and the primary of view 1 never sends its NEW-VIEW.
        c.filter = { from, _, m in
            if from == 0 { return false }
            if from == 1, case .newView = m { return false }
            return true
        }
        c.submit([5], to: [1, 2, 3])
        c.deliverAll()
        XCTAssertEqual(c.replicas[2].currentViewChangeTimeoutMs, 1_000)
        c.advance(1_000)
        XCTAssertEqual(c.replicas[2].view, View(1))
        XCTAssertTrue(c.replicas[2].isChangingView)
        // Hold the messages of the move to view 2 (its primary would propose at once and the
        // commit would reset the timeout before it could be looked at).
        c.autoDeliver = false
        c.advance(1_000)
        XCTAssertEqual(c.replicas[2].view, View(2), "no NEW-VIEW for view 1 in time → view 2")
        XCTAssertEqual(c.replicas[2].currentViewChangeTimeoutMs, 2_000)
        // View 2's primary (replica 2) is allowed to speak: it installs view 2 and the request commits.
        c.autoDeliver = true
        c.deliverAll()
        c.advance(10)
        XCTAssertFalse(c.replicas[3].isChangingView)
        XCTAssertEqual(c.committedIDs(3), [5])
        XCTAssertEqual(c.replicas[3].currentViewChangeTimeoutMs, 1_000, "progress resets the timeout")
    }

    func testPreparedBatchSurvivesAViewChange() {
        var c = Cluster()
        // Commits are lost: seq 1 prepares everywhere but commits nowhere.
        c.filter = { _, _, m in if case .commit = m { false } else { true } }
        c.submit([9])
        c.deliverAll()
        c.advance(20)
        XCTAssertTrue(c.committed.allSatisfy(\.isEmpty))
        let digest = c.persisted[1].compactMap { if case let .prepare(p) = $0 { p.body.digest } else { nil } }.first
        XCTAssertNotNil(digest)
        c.filter = { from, _, _ in from != 0 }  // the old primary goes silent
        c.advance(1_000)
        c.advance(10)
        for i in 1...3 {
            XCTAssertEqual(c.replicas[i].view, View(1))
            XCTAssertEqual(c.committed[i].first?.batch.digest, digest, "replica \(i) commits the batch prepared in view 0")
            XCTAssertEqual(c.committed[i].first?.certificate.view, View(1))
        }
        c.advance(100)
        XCTAssertEqual(c.committedIDs(1), [9], "the new primary does not batch the re-proposed request again")
    }
}

/// Liveness scenarios found by the simulator (BUG-2, BUG-3 in .notes/pbft-bugs.md), replayed by hand.
final class ViewChangeLivenessTests: XCTestCase {
    func testReplicasWaitingForDifferentViewsStillConverge() {
        var c = Cluster(retransmitMs: 500)
        c.filter = { _, _, _ in false }  // full partition
        c.submit([7], to: [1, 2, 3])
        c.advance(1_000)  // everyone but the primary times out alone and asks for view 1
        for i in 1...3 { XCTAssertEqual(c.replicas[i].view, View(1)) }
        // Replica 3 alone learns of the other two view changes and moves on to view 2.
        for i in [1, 2] {
            for case let .viewChange(m, _) in c.persisted[i] { c.deliver(.viewChange(m), to: 3) }
        }
        c.queue.removeAll()
        c.advance(1_000)
        XCTAssertEqual(c.replicas[3].view, View(2))
        // Heal everything except the primary of view 0 (and of view 1's NEW-VIEW, which never comes).
        c.filter = { from, _, m in
            if from == 0 { return false }
            if from == 1, case .newView = m { return false }
            return true
        }
        for _ in 0..<10 { c.advance(1_000) }
        c.filter = { from, _, _ in from != 0 }
        for _ in 0..<10 { c.advance(1_000) }
        for i in 1...3 {
            XCTAssertFalse(c.replicas[i].isChangingView, "replica \(i) installed a view")
            XCTAssertEqual(c.committedIDs(i), [7], "replica \(i)")
        }
    }

    func testAReplicaThatAlreadyCommittedStillVotesForTheReissuedBatch() {
        var c = Cluster()
        // Replica 3 is silent; commits never reach replicas 1 and 2, so only replica 0 commits seq 1.
        c.filter = { from, to, m in
            if from == 3 || to == 3 { return false }
            if case .commit = m, to == 1 || to == 2 { return false }
            return true
        }
        c.submit([5], to: [0, 1, 2])
        c.deliverAll()
        c.advance(20)
        XCTAssertEqual(c.committedIDs(0), [5])
        XCTAssertTrue(c.committed[1].isEmpty)
        // Commits flow again; replicas 1 and 2 time out, replica 0 joins; view 1 re-issues seq 1.
        c.filter = { from, to, _ in from != 3 && to != 3 }
        c.advance(1_000)
        c.advance(100)
        for i in 0...2 { XCTAssertEqual(c.replicas[i].view, View(1), "replica \(i)") }
        XCTAssertEqual(c.committedIDs(1), [5], "needs replica 0's commit in view 1")
        XCTAssertEqual(c.committedIDs(2), [5])
        XCTAssertEqual(c.committedIDs(0), [5], "replica 0 does not execute it twice")
    }
}
