// Checks what a replica re-sends on its retransmission tick: only messages a full interval old, a
// PRE-PREPARE only to backups that show no sign of having it, a PREPARE only to replicas that have
// not committed; and that a replica which missed the PRE-PREPARE still commits the batch.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class RetransmissionTests: XCTestCase {
    private let interval: UInt64 = 500

    /// A cluster where replica 3 never hears from the primary and nobody's COMMIT is delivered,
    /// so sequence number 1 stays open with PREPAREs from 1 and 2 at the primary.
    private func openSlot() -> Cluster {
        var c = Cluster(retransmitMs: interval, paceCheck: false)
        c.filter = { from, to, m in
            if from == 0 && to == 3 { return false }
            if case .commit = m { return false }
            return true
        }
        c.handle(0, .requests([TestRequest(id: 1)]))
        c.deliverAll()
        c.queue.removeAll()
        return c
    }

    private func sent(_ c: Cluster, from: Int) -> [(to: Int, kind: String)] {
        c.queue.filter { $0.from == from }.map { item in
            let kind: String = switch item.message {
            case .prePrepare: "pre-prepare"
            case .prepare: "prepare"
            case .commit: "commit"
            default: "other"
            }
            return (item.to, kind)
        }.filter { $0.kind != "other" }
    }

    func testNothingIsResentBeforeItIsAnIntervalOld() {
        var c = openSlot()
        XCTAssertTrue(c.committed.allSatisfy(\.isEmpty), "no COMMIT was delivered, so nothing commits")
        c.now += interval - 1
        c.handle(0, .timerFired(.retransmit))
        c.handle(1, .timerFired(.retransmit))
        XCTAssertTrue(sent(c, from: 0).isEmpty, "the primary's PRE-PREPARE is younger than the interval")
        XCTAssertTrue(sent(c, from: 1).isEmpty, "replica 1's PREPARE and COMMIT are younger than the interval")
    }

    func testThePrimaryResendsItsPrePrepareOnlyToTheBackupThatLacksIt() {
        var c = openSlot()
        c.now += interval
        c.handle(0, .timerFired(.retransmit))
        let resent = sent(c, from: 0)
        XCTAssertEqual(resent.filter { $0.kind == "pre-prepare" }.map(\.to), [3],
                       "replicas 1 and 2 prepared (their PREPAREs reached the primary); only 3 lacks the batch")
    }

    func testAPrepareIsNotResentToAReplicaWhoseCommitArrived() {
        var c = openSlot()
        // Replica 2's COMMIT reaches replica 1 (and only that one COMMIT).
        let commit = c.persisted[2].compactMap { if case let .commit(m) = $0 { m } else { nil } }.first
        XCTAssertNotNil(commit, "replica 2 prepared and signed a COMMIT")
        if let commit { c.deliver(.commit(commit), to: 1) }
        c.queue.removeAll()
        c.now += interval
        c.handle(1, .timerFired(.retransmit))
        let prepares = sent(c, from: 1).filter { $0.kind == "prepare" }.map(\.to).sorted()
        XCTAssertEqual(prepares, [0, 3], "replica 2 committed, so it has prepared and needs no PREPARE")
        XCTAssertEqual(sent(c, from: 1).filter { $0.kind == "commit" }.map(\.to).sorted(), [0, 2, 3],
                       "COMMITs still go to everyone")
    }

    func testAReplicaThatMissedThePrePrepareStillCommitsOnceTheLinkHeals() {
        var c = openSlot()
        c.filter = { from, to, _ in !(from == 0 && to == 3) }  // COMMITs flow again; 0 → 3 is still cut
        c.advance(interval)
        c.filter = { _, _, _ in true }
        c.advance(interval)
        for i in 0..<4 {
            XCTAssertEqual(c.committedIDs(i), [1], "replica \(i) commits the batch")
        }
    }
}
