// Checks QuorumRule's f, quorum and weak quorum against a table written out by hand for n = 1…10, and that
// counts below 1 are refused and extreme counts do not trap.
import LedgerCore
import XCTest

final class QuorumRuleTests: XCTestCase {
    func testSizesForOneToTenValidators() throws {
        // (n, f, quorum, weak quorum, n = 3f + 1)
        let table: [(Int, Int, Int, Int, Bool)] = [
            (1, 0, 1, 1, true), (2, 0, 1, 1, false), (3, 0, 1, 1, false),
            (4, 1, 3, 2, true), (5, 1, 3, 2, false), (6, 1, 3, 2, false),
            (7, 2, 5, 3, true), (8, 2, 5, 3, false), (9, 2, 5, 3, false),
            (10, 3, 7, 4, true),
        ]
        for (n, f, quorum, weak, optimal) in table {
            let rule = try XCTUnwrap(QuorumRule(n), "n = \(n)")
            XCTAssertEqual(rule.n, n)
            XCTAssertEqual(rule.f, f, "f for n = \(n)")
            XCTAssertEqual(rule.quorum, quorum, "quorum for n = \(n)")
            XCTAssertEqual(rule.weakQuorum, weak, "weak quorum for n = \(n)")
            XCTAssertEqual(rule.isOptimal, optimal, "3f + 1 for n = \(n)")
            // Two quorums overlap in more than f validators (so in an honest one) exactly when n = 3f + 1: why a
            // genesis insists on it.
            XCTAssertEqual(2 * rule.quorum - n > rule.f, optimal, "quorum intersection for n = \(n)")
        }
    }

    func testCountsBelowOneAreRefused() {
        for n in [0, -1, -4, Int.min] { XCTAssertNil(QuorumRule(n), "n = \(n)") }
        XCTAssertEqual(QuorumRule.single, QuorumRule(1))
    }

    func testLargestCountDoesNotTrap() throws {
        let rule = try XCTUnwrap(QuorumRule(Int.max))
        XCTAssertEqual(rule.f, (Int.max - 1) / 3)
        XCTAssertEqual(rule.quorum, 2 * ((Int.max - 1) / 3) + 1)
        XCTAssertEqual(rule.description, "n=\(Int.max) f=\(rule.f) quorum=\(rule.quorum)")
    }
}
