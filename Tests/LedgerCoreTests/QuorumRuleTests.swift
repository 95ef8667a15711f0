// Checks QuorumRule's f, quorum and weak quorum against a table written out by hand, the two inequalities that make any
// n safe and live (brute force over n = 1…100, and every pair of quorums of small sets), that a quorum of 2f + 1 fails
// them between sizes 3f + 1, and that counts below 1 are refused and extreme counts do not trap.
import LedgerCore
import XCTest

final class QuorumRuleTests: XCTestCase {
    func testSizesForOneToTenValidators() throws {
        // (n, f, quorum, weak quorum, quorum intersection)
        let table: [(Int, Int, Int, Int, Int)] = [
            (1, 0, 1, 1, 1), (2, 0, 2, 1, 2), (3, 0, 2, 1, 1),
            (4, 1, 3, 2, 2), (5, 1, 4, 2, 3), (6, 1, 4, 2, 2),
            (7, 2, 5, 3, 3), (8, 2, 6, 3, 4), (9, 2, 6, 3, 3),
            (10, 3, 7, 4, 4),
        ]
        for (n, f, quorum, weak, intersection) in table {
            let rule = try XCTUnwrap(QuorumRule(n), "n = \(n)")
            XCTAssertEqual(rule.n, n)
            XCTAssertEqual(rule.f, f, "f for n = \(n)")
            XCTAssertEqual(rule.quorum, quorum, "quorum for n = \(n)")
            XCTAssertEqual(rule.weakQuorum, weak, "weak quorum for n = \(n)")
            XCTAssertEqual(rule.quorumIntersection, intersection, "quorum intersection for n = \(n)")
        }
    }

    func testEveryCountUpToAHundredIsSafeAndLive() throws {
        for n in 1...100 {
            let rule = try XCTUnwrap(QuorumRule(n))
            let (f, q) = (rule.f, rule.quorum)
            XCTAssertEqual(f, (n - 1) / 3, "n = \(n)")
            XCTAssertEqual(q, Int((Double(n + f + 1) / 2).rounded(.up)), "⌈(n + f + 1) / 2⌉ for n = \(n)")
            XCTAssertGreaterThanOrEqual(2 * q - n, f + 1, "two quorums share an honest validator, n = \(n)")
            XCTAssertGreaterThanOrEqual(n - f, q, "the honest validators alone are a quorum, n = \(n)")
            XCTAssertEqual(rule.quorumIntersection, 2 * q - n, "n = \(n)")
            XCTAssertLessThanOrEqual(q, n, "n = \(n)")
            if (n - 1) % 3 == 0 { XCTAssertEqual(q, 2 * f + 1, "the classic quorum at n = 3f + 1 = \(n)") }
        }
    }

    func testEveryPairOfQuorumsOfSmallSetsSharesAnHonestValidator() throws {
        // Brute force over sets: for every choice of f faulty validators, every two quorums share an honest validator.
        for n in 4...9 {
            let rule = try XCTUnwrap(QuorumRule(n))
            XCTAssertNil(Self.quorumsMeetingOnlyInFaulty(n: n, f: rule.f, quorum: rule.quorum), "n = \(n)")
        }
    }

    func testTheClassicQuorumIsUnsafeBetweenSizesThreeFPlusOne() {
        // The same search finds two quorums of 2f + 1 that meet only in faulty validators at n = 5, 6, 8, 9 (and none at
        // 4 and 7, where 2f + 1 is the rule's quorum).
        for n in 4...9 {
            let f = (n - 1) / 3
            let found = Self.quorumsMeetingOnlyInFaulty(n: n, f: f, quorum: 2 * f + 1)
            XCTAssertEqual(found != nil, (n - 1) % 3 != 0, "n = \(n): \(found.map { "\($0)" } ?? "none")")
        }
    }

    /// Two quorums of `quorum` out of `n` (bit masks) and `f` faulty validators they alone share, or `nil` if none exist.
    private static func quorumsMeetingOnlyInFaulty(n: Int, f: Int, quorum: Int) -> (Int, Int, faulty: Int)? {
        let all = 0..<(1 << n)
        let quorums = all.filter { $0.nonzeroBitCount == quorum }
        for faulty in all where faulty.nonzeroBitCount == f {
            for a in quorums {
                for b in quorums where a <= b && a & b & ~faulty == 0 { return (a, b, faulty) }
            }
        }
        return nil
    }

    func testCountsBelowOneAreRefused() {
        for n in [0, -1, -4, Int.min] { XCTAssertNil(QuorumRule(n), "n = \(n)") }
        XCTAssertEqual(QuorumRule.single, QuorumRule(1))
    }

    func testLargestCountDoesNotTrap() throws {
        let rule = try XCTUnwrap(QuorumRule(Int.max))
        let f = (Int.max - 1) / 3
        XCTAssertEqual(rule.f, f)
        // ⌈(n + f + 1) / 2⌉ with n = 2^63 − 1 (odd) and f = (2^63 − 2) / 3 (even): (n + f + 1) / 2 exactly.
        XCTAssertEqual(rule.quorum, Int.max / 2 + f / 2 + 1)
        XCTAssertEqual(rule.quorumIntersection, f + 1)
        XCTAssertEqual(rule.description, "n=\(Int.max) f=\(rule.f) quorum=\(rule.quorum)")
    }
}
