// The replica's invariant check (`Replica+Invariants.swift`): it holds through normal operation and
// a view change, and each corruption of a replica's own state is reported by name with its values.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class InvariantTests: XCTestCase {
    /// A cluster that committed a few batches and went through a view change (replica 1 is the
    /// primary of view 1).
    private func exercisedCluster() -> Cluster {
        var c = Cluster()
        c.submit([1, 2, 3, 4, 5])
        c.deliverAll()
        c.advance(20)
        c.filter = { from, _, _ in from != 0 }  // the primary of view 0 falls silent
        c.submit([6])
        c.advance(2_000)
        c.filter = { _, _, _ in true }
        c.deliverAll()
        c.submit([7, 8])
        c.deliverAll()
        c.advance(20)
        return c
    }

    private func names(_ r: Replica<TestBatch>) -> Set<String> { Set(r.checkInvariants().map(\.invariant)) }

    func testInvariantsHoldThroughCommitsAndAViewChange() {
        let c = exercisedCluster()
        for i in 0..<4 {
            XCTAssertEqual(c.replicas[i].checkInvariants(), [], "replica \(i)")
        }
        XCTAssertTrue(c.replicas.contains { $0.view > .zero }, "the test must exercise a view change")
        XCTAssertTrue(c.committedIDs(2).contains(8), "and commit in the new view: \(c.committedIDs(2))")
    }

    func testExecutionAheadOfCommitIsReported() {
        var r = exercisedCluster().replicas[2]
        r.state.lastExecuted = SequenceNumber(r.state.lastCommitted.rawValue + 3)
        let broken = r.checkInvariants()
        XCTAssertEqual(broken.map(\.invariant), ["execution.order"])
        XCTAssertTrue(broken[0].detail.contains("\(r.state.lastCommitted)"), broken[0].detail)
    }

    func testRequestQueueCursorPastTheFIFOIsReported() {
        var r = exercisedCluster().replicas[2]
        r.state.queue.relayCursor = r.state.queue.order.count + 1
        XCTAssertEqual(names(r), ["queue.relayCursor"])
        r = exercisedCluster().replicas[2]
        r.state.queue.arrivedAtMs[Hash.blake2b256([9])] = 0
        XCTAssertEqual(names(r), ["queue.arrivals"])
    }

    func testOwnVoteThatDiffersFromTheSignedSlotIsReported() {
        var r = exercisedCluster().replicas[2]
        guard let (seq, e) = r.state.entries.first(where: { $0.value.prepares[r.me] != nil }),
              let p = e.prepares[r.me] else { return XCTFail("replica 2 holds no PREPARE of its own") }
        r.state.signedSlots[Slot(phase: .prepare, view: p.body.view, sequence: seq)] = Hash.blake2b256([1])
        let broken = r.checkInvariants()
        XCTAssertEqual(broken.map(\.invariant), ["log.signedSlots"])
        XCTAssertTrue(broken[0].detail.contains("\(seq)"), broken[0].detail)
    }

    func testLogEntryAtTheLowWatermarkIsReported() {
        var r = exercisedCluster().replicas[2]
        r.state.entries[r.state.lowWatermark] = LogEntry(view: r.state.view)
        XCTAssertEqual(names(r), ["log.aboveLowWatermark"])
    }

    func testViewChangeWithoutOwnViewChangeIsReported() {
        var r = exercisedCluster().replicas[2]
        r.state.isChangingView = true
        r.state.view = View(r.state.view.rawValue + 5)
        let found = names(r)
        XCTAssertTrue(found.isSuperset(of: ["viewChange.own", "viewChange.ownCounted", "rejoin.viewBeforeChange"]), "\(found)")
    }

    func testBatchFetchAndPaceCorruptionsAreReported() {
        var r = exercisedCluster().replicas[2]
        r.state.fetch.wanted[TestBatch.null.digest] = WantedBatch(sources: [ReplicaID(0)], asked: 1)
        XCTAssertEqual(names(r), ["fetch.null"])
        r = exercisedCluster().replicas[2]
        r.state.pace.historyMs = Array(repeating: 1, count: r.configuration.paceHistoryViews + 1)
        XCTAssertEqual(names(r), ["pace.history"])
    }
}
