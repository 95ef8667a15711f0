// The runner's "longest commit stall" figure: the longest time the highest honest height did not rise inside the
// fault script's window, counting a stall that lasts to the window's end.
import XCTest
@testable import ledger_adversarial

final class CommitStallTests: XCTestCase {
    func testLongestGapBetweenRisesInsideTheWindow() throws {
        let t0 = Date(timeIntervalSince1970: 1_000)
        func at(_ s: Double, _ h: UInt64) -> (at: Date, height: UInt64) { (t0.addingTimeInterval(s), h) }
        let samples = [at(-5, 1), at(0, 3), at(0.5, 4), at(1, 4), at(2, 4), at(3.2, 5), at(3.5, 6), at(4, 6)]
        let stall = try XCTUnwrap(Stall.of(samples, t0, seconds: 4))
        XCTAssertEqual(stall, 2.7, accuracy: 1e-6)  // 0.5 → 3.2; the sample before the window does not count
        let tail = try XCTUnwrap(Stall.of(samples, t0, seconds: 8))
        XCTAssertEqual(tail, 4.5, accuracy: 1e-6)   // 3.5 → the window's end at 8
        XCTAssertNil(Stall.of(samples, t0.addingTimeInterval(10), seconds: 1))
    }
}

private enum Stall {
    static func of(_ samples: [(at: Date, height: UInt64)], _ from: Date, seconds: Double) -> Double? {
        ScenarioRunner.longestCommitStall(samples, from: from, to: from.addingTimeInterval(seconds))
    }
}
