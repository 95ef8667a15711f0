// Checks the load generator's arithmetic: nearest-rank percentiles, the steady-state window, the open-loop timing
// plan and the 250 ms throughput windows with their recovery time, on hand-computed inputs.
import BenchSupport
import XCTest

final class LatencyAndWindowTests: XCTestCase {
    func testPercentilesAreNearestRankSamples() throws {
        let s = try XCTUnwrap(LatencySummary(samplesMs: (1...100).reversed().map(Double.init)))
        XCTAssertEqual(s.count, 100)
        XCTAssertEqual(s.p50Ms, 50)
        XCTAssertEqual(s.p95Ms, 95)
        XCTAssertEqual(s.p99Ms, 99)
        XCTAssertEqual(s.maxMs, 100)
        XCTAssertEqual(s.meanMs, 50.5)
        // Few samples: the p99 of three is the largest, the median the middle one.
        let three = try XCTUnwrap(LatencySummary(samplesMs: [30, 10, 20]))
        XCTAssertEqual(three.p50Ms, 20)
        XCTAssertEqual(three.p99Ms, 30)
        XCTAssertEqual(LatencySummary.percentile(sorted: [5], 1), 5)
        XCTAssertNil(LatencySummary(samplesMs: []))
    }

    func testSteadyWindowDropsWarmupAndCooldown() {
        let w = SteadyWindow(phaseStart: 10, phaseEnd: 20)
        XCTAssertEqual(w.start, 12, accuracy: 1e-9)
        XCTAssertEqual(w.end, 19, accuracy: 1e-9)
        XCTAssertEqual(w.duration, 7, accuracy: 1e-9)
        XCTAssertFalse(w.contains(11.99))
        XCTAssertTrue(w.contains(12))
        XCTAssertTrue(w.contains(18.99))
        XCTAssertFalse(w.contains(19))
        let custom = SteadyWindow(phaseStart: 0, phaseEnd: 100, warmupFraction: 0.5, cooldownFraction: 0)
        XCTAssertEqual(custom.start, 50, accuracy: 1e-9)
        XCTAssertEqual(custom.end, 100, accuracy: 1e-9)
    }

    func testRateSchedulePlansEvenlySpacedDueTimes() {
        let plan = RateSchedule(rate: 1000, total: 5000)
        XCTAssertEqual(plan.due(atElapsed: -1), 0)
        XCTAssertEqual(plan.due(atElapsed: 0), 1, "transaction 0 is due at once")
        XCTAssertEqual(plan.due(atElapsed: 0.0049), 5)
        XCTAssertEqual(plan.due(atElapsed: 1.0), 1001)
        XCTAssertEqual(plan.due(atElapsed: 60), 5000, "never more than planned")
        XCTAssertEqual(plan.dueTime(of: 2500), 2.5, accuracy: 1e-12)
        XCTAssertEqual(plan.duration, 4.999, accuracy: 1e-9)
        // Over any second of the plan, `rate` transactions fall due.
        XCTAssertEqual(plan.due(atElapsed: 3.2) - plan.due(atElapsed: 2.2), 1000)
    }

    func testThroughputWindowsBucketCommitsAndFindTheRecovery() throws {
        // 1,000 tx/s in 250 ms windows for 2 s, a fault at 2.0 s, nothing for 1 s, 600 tx/s, then back to 1,000.
        var events: [(time: Double, transactions: Int)] = []
        for i in 0..<8 { events.append((Double(i) * 0.25 + 0.1, 250)) }
        events.append((3.1, 150))
        events.append((3.35, 250))
        events.append((3.6, 250))
        events.append((3.85, 250))
        events.append((99, 1))  // outside the windows
        let w = ThroughputWindows(events: events, start: 0, width: 0.25, windowCount: 16)
        XCTAssertEqual(w.counts[0], 250)
        XCTAssertEqual(w.counts[8], 0)
        XCTAssertEqual(w.counts[12], 150)
        XCTAssertEqual(w.rate(13), 1000)
        let r = try XCTUnwrap(w.recovery(faultTime: 2.0, baselineStart: 0.5, share: 0.9))
        XCTAssertEqual(r.baselineTps, 1000)
        XCTAssertEqual(r.lowestTps, 0)
        // Window 13 = [3.25, 3.5) is the first of two at ≥ 900 tx/s: recovered 1.5 s after the fault.
        XCTAssertEqual(try XCTUnwrap(r.recoverySeconds), 1.5, accuracy: 1e-9)
        let never = ThroughputWindows(events: Array(events.prefix(8)), start: 0, width: 0.25, windowCount: 16)
        XCTAssertNil(try XCTUnwrap(never.recovery(faultTime: 2.0, baselineStart: 0.5, share: 0.9)).recoverySeconds)
    }
}
