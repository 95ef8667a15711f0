// Checks that refused peer messages are all counted, by peer and reason, for /metrics, while the log gets one line per
// interval however many arrive (a Byzantine peer cannot flood the log).
import LedgerCore
import LedgerCrypto
@testable import Node
import PBFT
import TestSupport
import XCTest

final class PeerRefusalsTests: XCTestCase {
    func testAThousandRefusalsAreCountedButLoggedOnce() {
        let capture = LogCapture()
        let logger = capture.logger(label: "refusals")
        let refusals = PeerRefusals()
        for _ in 0..<1_000 { refusals.refused(.consensus, from: ReplicaID(2), logger: logger) }
        refusals.refused(.malformedGossip, from: ReplicaID(3), logger: logger)
        XCTAssertEqual(refusals.total(from: ReplicaID(2), .consensus), 1_000)
        XCTAssertEqual(refusals.total(from: ReplicaID(3), .malformedGossip), 1)
        XCTAssertEqual(refusals.total(from: ReplicaID(3), .consensus), 0)
        let lines = capture.lines("refused peer messages")
        XCTAssertEqual(lines.count, 1, "the first refusal is logged, the rest wait for the interval: \(lines)")
        XCTAssertEqual(lines.first?.metadata["reason"], "consensus")
        let totals = refusals.prometheusTotals
        let consensusFrom2 = totals.first { $0.name == "ledger_peer_messages_refused" && $0.labels.contains { $0 == ("peer", "2") }
            && $0.labels.contains { $0 == ("reason", "consensus") } }
        XCTAssertEqual(consensusFrom2?.value, 1_000)
        XCTAssertEqual(totals.count, 2 * PeerRefusal.allCases.count, "every reason for each refused peer")
    }
}
