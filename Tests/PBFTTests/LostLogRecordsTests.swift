// Checks the voting fence: a replica whose consensus-log records were lost signs no PRE-PREPARE, PREPARE, COMMIT or VIEW-CHANGE until its stable checkpoint reaches the fence, still catches up on what the others commit, and votes again past the fence. The control case shows the loss without the fence is amnesia: the replica prepares a conflicting batch.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class LostLogRecordsTests: XCTestCase {
    /// Restarts replica `i` from `records` (default: what it persisted) with `fence`.
    func restart(_ c: inout Cluster, _ i: Int, records: [LogRecord<TestBatch>]? = nil, fence: SequenceNumber?) {
        let executed = c.committed[i].last
        let recovered = RecoveredState<TestBatch>(
            records: records ?? c.persisted[i], lastExecuted: executed?.sequence ?? .zero,
            lastExecutedBlockHash: executed.map { blockHash($0.sequence, $0.batch.digest) } ?? .zero,
            lastExecutedTimestampMilliseconds: executed?.batch.timestampMilliseconds ?? 0,
            votingFence: fence)
        c.replicas[i] = try! Replica(configuration: testConfig(i), signer: SimulatedSigner(replica: ReplicaID(i)))
        c.handle(i, .start(recovered))
    }

    /// Votes replica `i` put on the wire since the queue was last emptied.
    func votes(from i: Int, in c: Cluster) -> [String] {
        c.queue.filter { $0.from == i }.compactMap {
            switch $0.message {
            case .prePrepare: "pre-prepare"
            case .prepare: "prepare"
            case .commit: "commit"
            case .viewChange: "view-change"
            case .newView: "new-view"
            default: nil
            }
        }
    }

    let a = TestBatch(view: .zero, timestampMilliseconds: 1_000_001, requests: [TestRequest(id: 1)])
    let b = TestBatch(view: .zero, timestampMilliseconds: 1_000_001, requests: [TestRequest(id: 2)])

    /// Replica 1 prepares `a` at (0, 1), then loses every record; the equivocating primary sends `b` for the same slot.
    func prepareThenLoseTheLog(fence: SequenceNumber?) -> Cluster {
        var c = Cluster()
        c.deliver(.prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: a.digest), by: 0), batch: a), to: 1)
        XCTAssertTrue(c.persisted[1].contains { if case let .prepare(p) = $0 { p.body.digest == a.digest } else { false } })
        let highest = c.persisted[1].compactMap(\.sequence).max() ?? .zero
        XCTAssertEqual(highest, SequenceNumber(1))
        restart(&c, 1, records: [], fence: fence)
        c.persisted[1].removeAll()
        c.queue.removeAll()
        c.deliver(.prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: b.digest), by: 0), batch: b), to: 1)
        return c
    }

    func testTheFenceRuleCoversTheWindowAboveTheHighestLoggedSequence() {
        XCTAssertEqual(RecoveredState<TestBatch>.votingFence(highestLoggedSequence: SequenceNumber(1), lastExecuted: .zero, window: 8), SequenceNumber(9))
        XCTAssertEqual(RecoveredState<TestBatch>.votingFence(highestLoggedSequence: SequenceNumber(12), lastExecuted: SequenceNumber(40), window: 8), SequenceNumber(48))
        XCTAssertEqual(RecoveredState<TestBatch>.votingFence(highestLoggedSequence: SequenceNumber(.max - 3), lastExecuted: .zero, window: 8),
                       SequenceNumber(.max), "saturates instead of trapping")
    }

    func testAReplicaThatLostItsPrepareSignsNoConflictingVoteBehindTheFence() {
        let fence = RecoveredState<TestBatch>.votingFence(highestLoggedSequence: SequenceNumber(1), lastExecuted: .zero, window: 8)
        let c = prepareThenLoseTheLog(fence: fence)
        XCTAssertEqual(c.replicas[1].votingFence, fence)
        XCTAssertTrue(c.notes[1].contains(.votesWithheld(until: fence)))
        XCTAssertEqual(votes(from: 1, in: c), [], "no PREPARE for b")
        XCTAssertFalse(c.persisted[1].contains { if case .prepare = $0 { true } else { false } })
    }

    /// The control: the same loss without the fence lets the replica sign a PREPARE for b in the
    /// slot where it already prepared a — what the fence exists to prevent.
    func testWithoutTheFenceTheLossIsAmnesiaAndTheReplicaPreparesTheConflict() {
        let c = prepareThenLoseTheLog(fence: nil)
        XCTAssertNil(c.replicas[1].votingFence)
        let prepared = c.queue.compactMap { if $0.from == 1, case let .prepare(p) = $0.message { p.body.digest } else { nil } }
        XCTAssertTrue(prepared.contains(b.digest), "expected the amnesiac replica to prepare b: \(votes(from: 1, in: c))")
    }

    func testAFencedReplicaDoesNotStartAViewChange() {
        var c = Cluster()
        restart(&c, 3, records: [], fence: SequenceNumber(8))
        c.queue.removeAll()
        // Only replica 3 hears of the request, so only its timer runs out.
        c.handle(3, .requests([TestRequest(id: 5)]))
        c.autoDeliver = false
        c.advance(20_000)
        XCTAssertEqual(c.replicas[3].view, .zero)
        XCTAssertEqual(votes(from: 3, in: c), [])
        XCTAssertTrue(c.notes[3].contains { if case let .dropped(kind, _, _) = $0 { kind == "view-change" } else { false } })
    }

    func testAFencedReplicaCatchesUpByStateTransferAndVotesAgainPastTheFence() {
        var c = Cluster()
        c.transfersState = true
        let fence = SequenceNumber(8)
        restart(&c, 3, records: [], fence: fence)
        var withheld: [String] = []
        // 16 requests: 8 batches of 2, so checkpoint 8 becomes stable among 0, 1 and 2.
        for id in stride(from: UInt64(1), through: 16, by: 2) {
            c.submit([id, id + 1])
            while !c.queue.isEmpty {
                withheld += votes(from: 3, in: c)
                c.deliverAll(limit: 1)
            }
            c.advance(20)
        }
        // Its retransmission tick sees no progress of its own and fetches the stable state.
        c.advance(150_000)
        XCTAssertEqual(withheld, [], "replica 3 sent votes behind its fence")
        let signedBehindFence = c.persisted[3].filter {
            switch $0 {
            case let .prePrepare(m, _): m.signer == ReplicaID(3)
            case let .prepare(m): m.signer == ReplicaID(3)
            case .commit, .viewChange, .newView: true
            case .checkpoint, .stableCheckpoint: false
            }
        }
        XCTAssertEqual(signedBehindFence, [], "replica 3 signed votes behind its fence")
        XCTAssertEqual(c.committedIDs(0), Array(1...16))
        XCTAssertEqual(c.committedIDs(3), Array(1...16), "replica 3 has the others' blocks (by state transfer)")
        XCTAssertNil(c.replicas[3].votingFence, "the fence is passed")
        XCTAssertTrue(c.notes[3].contains { if case let .votingResumed(at) = $0 { at >= fence } else { false } })

        // Past the fence it votes again: with replica 2 silenced, 0, 1 and 3 commit on their own.
        c.filter = { from, to, _ in from != 2 && to != 2 }
        c.queue.removeAll()
        c.submit([17, 18], to: [0, 1, 3])
        c.deliverAll()
        c.advance(20)
        XCTAssertEqual(c.committedIDs(3).suffix(2), [17, 18])
        XCTAssertTrue(c.persisted[3].contains { if case let .commit(m) = $0 { m.body.sequence == SequenceNumber(9) } else { false } })
    }
}
