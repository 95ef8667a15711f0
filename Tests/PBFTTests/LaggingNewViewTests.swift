// Checks (paper §4.4 with a replica behind the new view's min-s) that installing a NEW-VIEW whose stable checkpoint is above what a replica has executed discards that replica's log at or below it, so the log stays within one window while it fetches the state.
import LedgerCore
import LedgerCrypto
@testable import PBFT
import XCTest

final class LaggingNewViewTests: XCTestCase {
    func testAReplicaBehindMinSDiscardsItsLogAtOrBelowMinS() {
        var c = Cluster(retransmitMs: 1_000_000)
        c.executes = true
        // Replica 3 sees only the primary's PRE-PREPAREs: it holds entries but commits nothing.
        c.filter = { _, to, m in
            guard to == 3 else { return true }
            if case .prePrepare = m { return true }
            return false
        }
        c.submit(Array(1...24), to: [0, 1, 2])
        c.deliverAll()
        c.advance(20)
        c.deliverAll()
        XCTAssertEqual(c.replicas[0].lowWatermark, SequenceNumber(12), "replicas 0-2 made checkpoint 12 stable")
        XCTAssertEqual(c.replicas[3].lastCommitted, .zero)
        XCTAssertNotNil(c.replicas[3].lowestLogSequence, "replica 3 holds pre-prepared entries")

        // The primary goes silent; 1, 2 and 3 time out on a new request and change to view 1.
        c.filter = { from, _, _ in from != 0 }
        c.submit([100], to: [1, 2, 3])
        for _ in 0..<5 { c.advance(1_000) }
        XCTAssertEqual(c.replicas[3].view, View(1))
        XCTAssertFalse(c.replicas[3].isChangingView, "replica 3 installed view 1")
        XCTAssertEqual(c.replicas[3].lowWatermark, .zero, "replica 3 has not reached checkpoint 12 yet")
        if let lowest = c.replicas[3].lowestLogSequence {
            XCTAssertGreaterThan(lowest, SequenceNumber(12), "entries at or below min-s must be gone")
        }
        XCTAssertLessThanOrEqual(c.replicas[3].logEntryCount, 8, "the log stays within one window")

    }
}
