// Checks the proposal-latency rule (Replica+Pace.swift, after Aardvark): a backup votes out a primary that leaves a pending request unproposed past a bound learned from earlier views, and never an honest one; driven by hand on four replicas (T = 1 s, batch delay 10 ms → floor 600 ms, ceiling 750 ms, grace 200 ms).
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class PaceTests: XCTestCase {
    /// Reasons of the view changes replica `i` started.
    func viewChangeReasons(_ c: Cluster, _ i: Int) -> [String] {
        c.notes[i].compactMap { if case let .viewChangeStarted(_, reason) = $0 { reason } else { nil } }
    }

    // MARK: the rule

    func testABackupSuspectsAPrimaryThatLeavesAPendingRequestUnproposedPastTheBound() {
        var c = Cluster()
        c.advance(200)  // past the start-of-view grace
        c.autoDeliver = false  // the primary's PRE-PREPARE is held (queued, not delivered)
        c.submit([1])
        XCTAssertEqual(c.replicas[2].currentProposalLatencyBoundMs, 750, "no earlier view: the ceiling")
        c.advance(749)
        for i in 1...3 { XCTAssertFalse(c.replicas[i].isChangingView, "replica \(i) suspected before the bound") }
        c.advance(1)
        for i in 1...3 {
            XCTAssertTrue(c.replicas[i].isChangingView)
            XCTAssertEqual(c.replicas[i].view, View(1))
            XCTAssertEqual(c.replicas[i].counters.paceViewChangesStarted, 1)
            XCTAssertTrue(viewChangeReasons(c, i).contains { $0.contains("proposal-latency bound 750 ms") })
        }
        XCTAssertLessThan(750, testConfig(1).viewChangeTimeoutMs, "well before the view-change timer")
    }

    func testWithoutThePaceCheckAPrimaryHoldingProposalsJustUnderTheTimeoutIsNeverReplaced() {
        // The attack the rule exists for: every request still executes "in time".
        var c = Cluster(paceCheck: false)
        for id in UInt64(1)...5 {
            c.autoDeliver = false
            c.submit([id])
            c.advance(900)
            c.deliverAll()
            c.autoDeliver = true
            c.advance(1)
        }
        XCTAssertEqual(c.committedIDs(2), [1, 2, 3, 4, 5])
        XCTAssertEqual(c.replicas[2].view, .zero, "the slow primary keeps its view")
        XCTAssertEqual(c.replicas[2].counters.viewChangesStarted, 0)
    }

    func testAPrimaryThatProposesWithinTheBoundIsNeverSuspected() {
        var c = Cluster()
        for id in UInt64(1)...5 {
            c.submit([id])
            c.advance(300)
        }
        // A slower proposal, still inside the bound.
        c.autoDeliver = false
        c.submit([6])
        c.advance(700)
        c.deliverAll()
        c.autoDeliver = true
        c.advance(5_000)
        for i in 0..<4 {
            XCTAssertEqual(c.committedIDs(i), [1, 2, 3, 4, 5, 6])
            XCTAssertEqual(c.replicas[i].counters.viewChangesStarted, 0, "replica \(i)")
            XCTAssertEqual(c.replicas[i].view, .zero)
        }
    }

    func testRequestsPendingWhenAViewStartsGetTheGracePeriod() {
        var c = Cluster()  // view 0 starts now
        c.autoDeliver = false
        c.submit([1])
        c.advance(949)
        XCTAssertFalse(c.replicas[2].isChangingView, "200 ms grace + 750 ms bound")
        c.advance(1)
        XCTAssertTrue(c.replicas[2].isChangingView)
    }

    func testTheOldestUnorderedWaitIsTheAgeThePaceCheckMeasuresAndEndsWithThePrePrepare() {
        // What the node's busy refusal reads: 0 in the grace period, then the age of the oldest
        // request without a PRE-PREPARE, back to 0 once the PRE-PREPARE arrives.
        var c = Cluster()
        c.autoDeliver = false
        c.submit([1])
        c.advance(150)
        XCTAssertEqual(c.replicas[2].oldestUnorderedWaitMs(now: c.now), 0, "inside the 200 ms grace")
        c.advance(350)
        XCTAssertEqual(c.replicas[2].oldestUnorderedWaitMs(now: c.now), 300, "waited since the grace ended")
        XCTAssertEqual(c.replicas[0].oldestUnorderedWaitMs(now: c.now), 0, "the primary proposed it: nothing unordered there")
        c.deliverAll()
        XCTAssertEqual(c.replicas[2].oldestUnorderedWaitMs(now: c.now), 0, "ordered now")
        c.autoDeliver = true
        c.submit([2])
        c.advance(5)
        XCTAssertLessThanOrEqual(c.replicas[2].oldestUnorderedWaitMs(now: c.now), 5)
    }

    func testAPrimaryOutOfSequenceNumbersIsNotSuspected() {
        // Window 8, two requests per batch: 20 requests fill the window with 16; nothing commits
        // (COMMITs are lost), so no checkpoint opens it and 4 requests stay unproposed.
        var c = Cluster()
        c.advance(200)
        c.filter = { _, _, m in if case .commit = m { return false } else { return true } }
        c.submit(Array(1...20))
        c.deliverAll()
        XCTAssertEqual(c.replicas[2].logEntryCount, 8)
        c.advance(900)
        for i in 1...3 {
            XCTAssertFalse(c.replicas[i].isChangingView, "replica \(i) blamed a primary with a full window")
            XCTAssertEqual(c.replicas[i].counters.paceViewChangesStarted, 0)
        }
    }

    func testABackupThatMissedAPrePrepareOthersVotedForDoesNotBlameThePrimary() {
        // Replica 3 loses the PRE-PREPARE but sees f + 1 others vote for that sequence number:
        // the primary is proposing, retransmission will bring it, and no view is lost over it.
        var c = Cluster()
        c.advance(200)
        c.filter = { _, to, m in if case .prePrepare = m, to == 3 { return false } else { return true } }
        c.submit([1])
        c.advance(900)
        XCTAssertEqual(c.committedIDs(2), [1])
        XCTAssertFalse(c.replicas[3].isChangingView)
        XCTAssertEqual(c.replicas[3].counters.paceViewChangesStarted, 0)
    }

    // MARK: the expectation adapts

    /// The bound replica 2 applies in view 1 after view 0's primary held its one proposal for
    /// `holdMs` (view 0 then ends through the view-change timer, not the pace check).
    func boundAfterAView(holdingProposalsFor holdMs: UInt64) -> UInt64 {
        var c = Cluster()
        c.advance(200)
        c.autoDeliver = false
        c.submit([1])
        c.advance(holdMs)
        c.deliverAll()
        c.autoDeliver = true
        c.advance(1)
        XCTAssertEqual(c.committedIDs(2), [1])
        // A batch that is proposed at once but never prepares: the view-change timer ends view 0.
        c.filter = { _, _, m in if case .prepare = m { return false } else { return true } }
        c.submit([2])
        c.advance(1_000)
        XCTAssertEqual(c.replicas[2].view, View(1))
        XCTAssertFalse(c.replicas[2].isChangingView)
        XCTAssertEqual(c.replicas[2].counters.paceViewChangesStarted, 0)
        return c.replicas[2].currentProposalLatencyBoundMs
    }

    func testTheBoundIsTheBatchDelayPlusSlackTimesEarlierViewsLatencyClampedToFloorAndCeiling() {
        XCTAssertEqual(boundAfterAView(holdingProposalsFor: 10), 600, "10 + 4 × 10 → the floor")
        XCTAssertEqual(boundAfterAView(holdingProposalsFor: 150), 610, "10 + 4 × 150")
        XCTAssertEqual(boundAfterAView(holdingProposalsFor: 300), 750, "10 + 4 × 300 → the ceiling")
    }

    func testAViewItsBackupsVotedOutOnPaceIsNotRemembered() {
        var c = Cluster()
        c.advance(200)
        c.autoDeliver = false
        c.submit([1])
        c.advance(750)
        XCTAssertTrue(c.replicas[2].isChangingView)
        c.autoDeliver = true
        c.deliverAll()
        XCTAssertEqual(c.replicas[2].view, View(1))
        XCTAssertFalse(c.replicas[2].isChangingView)
        XCTAssertEqual(c.replicas[2].currentProposalLatencyBoundMs, 750,
                       "the slow view must not teach its successors to tolerate it")
        c.advance(10)
        XCTAssertEqual(c.committedIDs(2), [1], "view 1's primary orders the request")
    }
}
