// Checks the limits on answers to a peer (Replica+Replies.swift): a peer's STATUS and its VIEW-CHANGE for an installed view are answered at most four times per retransmission interval, however often they arrive, and the kinds answered to their signer must arrive on the signer's link; driven by hand on four replicas (retransmission interval 100 s → at most one answer per 25 s).
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class ReplyLimitTests: XCTestCase {
    func sends(_ c: Cluster, from: Int, to: Int, _ kind: String) -> Int {
        c.queue.filter { $0.from == from && $0.to == to && $0.message.kindName == kind }.count
    }

    func testARepeatedStatusIsAnsweredOncePerSpacing() {
        var c = Cluster()
        for id in UInt64(1)...3 {
            c.submit([id])
            c.advance(100)
        }
        XCTAssertEqual(c.replicas[0].lastCommitted, SequenceNumber(3))
        c.autoDeliver = false
        c.queue.removeAll()
        let stale = TMessage.status(signed(Status(view: .zero, isChangingView: false, lastExecuted: .zero, stableCheckpoint: .zero), by: 3))
        for _ in 0..<10 { c.deliver(stale, to: 0) }
        XCTAssertEqual(sends(c, from: 0, to: 3, "committed-batch"), 3, "one answer: the three batches replica 3 lacks")
        XCTAssertEqual(c.replicas[0].counters.statusRepliesSuppressed, 9)
        c.advance(c.replicas[0].configuration.replySpacingMs - 1)
        c.deliver(stale, to: 0)
        XCTAssertEqual(sends(c, from: 0, to: 3, "committed-batch"), 3)
        c.advance(1)
        c.deliver(stale, to: 0)
        XCTAssertEqual(sends(c, from: 0, to: 3, "committed-batch"), 6, "answered again a spacing later")
    }

    func testAStatusThatNeedsNothingDoesNotUseUpThePeersAnswer() {
        var c = Cluster()
        c.submit([1])
        c.advance(100)
        c.autoDeliver = false
        c.queue.removeAll()
        let current = TMessage.status(signed(Status(view: .zero, isChangingView: false, lastExecuted: SequenceNumber(1), stableCheckpoint: .zero), by: 3))
        c.deliver(current, to: 0)
        let behind = TMessage.status(signed(Status(view: .zero, isChangingView: false, lastExecuted: .zero, stableCheckpoint: .zero), by: 3))
        c.deliver(behind, to: 0)
        XCTAssertEqual(sends(c, from: 0, to: 3, "committed-batch"), 1)
        XCTAssertEqual(c.replicas[0].counters.statusRepliesSuppressed, 0)
    }

    func testWithoutTheLimitEveryCopyIsAnswered() {
        var c = Cluster { $0.isReplyLimitEnabled = false }
        c.submit([1])
        c.advance(100)
        c.autoDeliver = false
        c.queue.removeAll()
        let stale = TMessage.status(signed(Status(view: .zero, isChangingView: false, lastExecuted: .zero, stableCheckpoint: .zero), by: 3))
        for _ in 0..<10 { c.deliver(stale, to: 0) }
        XCTAssertEqual(sends(c, from: 0, to: 3, "committed-batch"), 10, "the amplification the limit bounds")
    }

    func testAViewChangeForAnInstalledViewGetsTheNewViewOncePerSpacing() {
        var c = Cluster()
        c.filter = { from, _, _ in from != 0 }  // the primary goes silent
        c.submit([1])
        c.advance(3_000)
        XCTAssertEqual(c.replicas[1].view, View(1))
        XCTAssertFalse(c.replicas[1].isChangingView)
        let vc = c.persisted[3].compactMap { if case let .viewChange(m, _) = $0 { m } else { nil } }.last!
        XCTAssertEqual(vc.body.newView, View(1))
        c.autoDeliver = false
        c.queue.removeAll()
        for _ in 0..<5 { c.deliver(.viewChange(vc), to: 1) }
        XCTAssertEqual(sends(c, from: 1, to: 3, "new-view"), 1)
        XCTAssertEqual(c.replicas[1].counters.newViewRepliesSuppressed, 4)
    }

    func testKindsAnsweredToTheirSignerMustArriveOnTheSignersLink() {
        let status = TMessage.status(signed(Status(view: .zero, isChangingView: false, lastExecuted: .zero, stableCheckpoint: .zero), by: 2))
        XCTAssertTrue(status.mayArrive(from: ReplicaID(2)))
        XCTAssertFalse(status.mayArrive(from: ReplicaID(1)), "a replayed STATUS would aim the answer at replica 2")
        let fetch = TMessage.batchFetch(signed(BatchFetch(view: .zero, digests: [.zero]), by: 2))
        XCTAssertFalse(fetch.mayArrive(from: ReplicaID(3)))
        let vc = TMessage.viewChange(signed(ViewChange(newView: View(1), stableCheckpoint: .genesis, preparedCertificates: []), by: 2))
        XCTAssertFalse(vc.mayArrive(from: ReplicaID(0)))
        // Re-sent by whoever has it: a NEW-VIEW to a replica that missed it, a stable checkpoint's proof.
        let nv = TMessage.newView(signed(NewView(view: View(1), viewChanges: [], prePrepares: []), by: 1))
        XCTAssertTrue(nv.mayArrive(from: ReplicaID(3)))
        let checkpoint = TMessage.checkpoint(signed(Checkpoint(sequence: SequenceNumber(4), blockHash: .zero), by: 2))
        XCTAssertTrue(checkpoint.mayArrive(from: ReplicaID(3)))
        let prepare = TMessage.prepare(signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: .zero), by: 2))
        XCTAssertTrue(prepare.mayArrive(from: ReplicaID(3)), "a vote is recorded, never answered")
    }
}
