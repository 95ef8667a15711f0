// A backup cut off long enough to ask for a new view alone goes back to the view the others work in,
// follows it without voting, and votes again once a real view change installs a view at or above its own.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class LoneViewChangeTests: XCTestCase {
    /// Four replicas, STATUS every 500 ms, only the view-change timer (1,000 ms) suspects the primary.
    func cluster() -> Cluster { Cluster(retransmitMs: 500, paceCheck: false) }

    /// Replica 3 is cut off while request 1 commits at the others; its timer fires and it asks for view 1 alone.
    func isolateReplica3UntilItAsksForView1(_ c: inout Cluster) {
        c.filter = { from, to, _ in from != 3 && to != 3 }
        c.submit([1])
        c.advance(1_000)
        XCTAssertEqual(c.replicas[3].view, View(1))
        XCTAssertTrue(c.replicas[3].isChangingView)
        for i in 0...2 {
            XCTAssertEqual(c.committedIDs(i), [1])
            XCTAssertEqual(c.replicas[i].view, .zero)
            XCTAssertFalse(c.replicas[i].isChangingView)
        }
    }

    func viewChanges(_ c: Cluster, _ i: Int, for view: View) -> [Signed<ViewChange>] {
        c.persisted[i].compactMap { if case let .viewChange(m, _) = $0, m.body.newView == view { m } else { nil } }
    }

    /// PREPAREs and COMMITs replica `i` signed in `view` (every vote is persisted before it is sent).
    func votes(_ c: Cluster, _ i: Int, in view: View) -> Int {
        c.persisted[i].filter {
            switch $0 {
            case let .prepare(p): p.signer == ReplicaID(i) && p.body.view == view
            case let .commit(m): m.signer == ReplicaID(i) && m.body.view == view
            default: false
            }
        }.count
    }

    func abandoned(_ c: Cluster, _ i: Int) -> [Note] {
        c.notes[i].filter { if case .viewChangeAbandoned = $0 { true } else { false } }
    }

    func testALoneViewChangeIsAbandonedForTheViewTheOthersWorkInAndTheReplicaFollowsWithoutVoting() {
        var c = cluster()
        isolateReplica3UntilItAsksForView1(&c)
        let asked = viewChanges(c, 3, for: View(1))
        XCTAssertEqual(asked.count, 1)

        c.filter = { _, _, _ in true }  // the link heals
        c.advance(500)
        XCTAssertTrue(c.replicas[3].isChangingView, "the others get a whole view-change timeout to join before it gives up")
        c.advance(1_000)
        XCTAssertFalse(c.replicas[3].isChangingView, "three replicas said they work in view 0")
        XCTAssertEqual(c.replicas[3].view, .zero)
        XCTAssertEqual(c.replicas[3].followsUntilView, View(1))
        XCTAssertEqual(c.replicas[3].counters.viewChangesAbandoned, 1)
        guard case let .viewChangeAbandoned(view, back, working)? = abandoned(c, 3).first else {
            return XCTFail("no note of the abandoned view change")
        }
        XCTAssertEqual(view, View(1)); XCTAssertEqual(back, .zero); XCTAssertEqual(working, 3)
        XCTAssertEqual(c.committedIDs(3), [1], "it caught up with what the others committed meanwhile")

        // It follows view 0: executes what the others commit, signs no PREPARE or COMMIT there.
        c.submit([2, 3])
        c.advance(100)
        XCTAssertEqual(c.committedIDs(3), [1, 2, 3])
        XCTAssertEqual(votes(c, 3, in: .zero), 0)
        XCTAssertEqual(c.committedIDs(0), [1, 2, 3])
        for i in 0...3 { XCTAssertEqual(c.replicas[i].view, .zero, "replica \(i)") }

        // A real view change: the primary of view 0 goes silent. Replica 3 joins with the VIEW-CHANGE
        // it signed before (never a second version), and votes again in view 1.
        c.filter = { from, _, _ in from != 0 }
        c.submit([4], to: [1, 2, 3])
        c.advance(1_000)
        c.advance(100)
        for i in 1...3 {
            XCTAssertEqual(c.replicas[i].view, View(1), "replica \(i)")
            XCTAssertFalse(c.replicas[i].isChangingView, "replica \(i)")
            XCTAssertEqual(c.committedIDs(i), [1, 2, 3, 4], "replica \(i)")
        }
        XCTAssertEqual(viewChanges(c, 3, for: View(1)), asked, "the same VIEW-CHANGE, signed once")
        XCTAssertNil(c.replicas[3].followsUntilView)
        XCTAssertGreaterThan(votes(c, 3, in: View(1)), 0, "it votes in the view it asked for")
    }

    func testFStatusesDoNotTalkAReplicaOutOfItsViewChange() {
        var c = cluster()
        isolateReplica3UntilItAsksForView1(&c)
        // Only replica 1 reaches replica 3: f = 1 STATUS from a working replica may be a faulty one's.
        c.filter = { from, to, _ in (from != 3 && to != 3) || from == 1 || to == 1 }
        c.advance(5_000)
        XCTAssertTrue(c.replicas[3].isChangingView)
        XCTAssertEqual(c.replicas[3].view, View(1))
        XCTAssertTrue(abandoned(c, 3).isEmpty)
        // A second working replica is heard: f + 1, one of them honest.
        c.filter = { from, to, _ in (from != 3 && to != 3) || from == 1 || to == 1 || from == 2 || to == 2 }
        c.advance(500)
        XCTAssertFalse(c.replicas[3].isChangingView)
        XCTAssertEqual(abandoned(c, 3).count, 1)
    }

    func testAViewChangeOthersJoinIsNotAbandoned() {
        var c = cluster()
        // The primary is cut off from everyone: all three backups time out together and view 1 forms.
        c.filter = { from, to, _ in from != 0 && to != 0 }
        c.submit([1], to: [1, 2, 3])
        c.advance(1_000)
        c.advance(1_000)
        for i in 1...3 {
            XCTAssertEqual(c.replicas[i].view, View(1), "replica \(i)")
            XCTAssertFalse(c.replicas[i].isChangingView, "replica \(i)")
            XCTAssertTrue(abandoned(c, i).isEmpty, "replica \(i)")
        }
    }

    func testARestartedFollowerIsChangingViewAgainAndStillSignsNothingInTheOldView() {
        var c = cluster()
        isolateReplica3UntilItAsksForView1(&c)
        c.filter = { _, _, _ in true }
        c.advance(1_500)
        XCTAssertEqual(c.replicas[3].followsUntilView, View(1))

        let executed = c.committed[3].last
        let recovered = RecoveredState<TestBatch>(
            records: c.persisted[3], lastExecuted: executed?.sequence ?? .zero,
            lastExecutedBlockHash: executed.map { blockHash($0.sequence, $0.batch.digest) } ?? .zero,
            lastExecutedTimestampMilliseconds: executed?.batch.timestampMilliseconds ?? 0)
        var config = testConfig(3)
        config.retransmitIntervalMs = 500
        config.isPaceCheckEnabled = false
        c.replicas[3] = try! Replica(configuration: config, signer: SimulatedSigner(replica: ReplicaID(3)))
        c.timers[3] = [:]
        c.handle(3, .start(recovered))
        XCTAssertEqual(c.replicas[3].view, View(1), "its logged VIEW-CHANGE puts it back to changing view")
        XCTAssertTrue(c.replicas[3].isChangingView)

        c.submit([2])
        c.advance(100)
        XCTAssertEqual(votes(c, 3, in: .zero), 0)
        c.advance(1_500)
        XCTAssertFalse(c.replicas[3].isChangingView, "abandoned again once the others were heard for a timeout")
        c.submit([3])
        c.advance(100)
        XCTAssertEqual(c.committedIDs(3), [1, 2, 3])
        XCTAssertEqual(votes(c, 3, in: .zero), 0)
    }
}
