// Checks LogThrottle on its own, with the time passed in: the first incident is reported at once, later ones at most once per interval with every incident in between counted by reason, and nothing counted is lost.
import LedgerCrypto
import XCTest

final class LogThrottleTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    func testTheFirstIncidentIsReportedAtOnceAndTheNextOnlyAfterTheInterval() {
        var throttle = LogThrottle(intervalMs: 10_000)
        XCTAssertEqual(throttle.note("refused", nowNs: 5 * ms)?.counts, ["refused": 1])
        XCTAssertNil(throttle.note("refused", nowNs: 6 * ms))
        XCTAssertNil(throttle.note("timed_out", nowNs: 9_000 * ms))
        XCTAssertNil(throttle.note("refused", nowNs: 10_004 * ms), "reported before the interval passed")
        let due = throttle.note("timed_out", nowNs: 10_005 * ms)
        XCTAssertEqual(due?.counts, ["refused": 2, "timed_out": 2], "an incident in between was lost")
        XCTAssertEqual(due?.total, 4)
        XCTAssertEqual(due?.summary, "refused=2 timed_out=2")
        // The interval runs from the last report, and the counts start again from zero.
        XCTAssertNil(throttle.note("refused", nowNs: 20_004 * ms))
        XCTAssertEqual(throttle.note("refused", nowNs: 20_005 * ms)?.counts, ["refused": 2])
    }

    func testAZeroIntervalReportsEveryIncident() {
        var throttle = LogThrottle(intervalMs: 0)
        for i in 0..<5 { XCTAssertEqual(throttle.note("x", nowNs: 7 * ms)?.total, 1, "incident \(i)") }
        XCTAssertEqual(LogThrottle(intervalMs: -3).intervalNs, 0)
        XCTAssertEqual(LogThrottle(intervalMs: 2_500).intervalMs, 2_500)
    }
}
