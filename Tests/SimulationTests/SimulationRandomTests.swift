// Checks the seeded generator and the event queue: same seed → same draws, bounds hold, ties pop in scheduling order.
import XCTest
@testable import Simulation

final class SimulationRandomTests: XCTestCase {
    func testSameSeedGivesSameSequence() {
        var a = SimulationRandom(seed: 42)
        var b = SimulationRandom(seed: 42)
        for _ in 0..<1_000 { XCTAssertEqual(a.next(), b.next()) }
    }

    func testDifferentSeedsDiverge() {
        var a = SimulationRandom(seed: 1)
        var b = SimulationRandom(seed: 2)
        let sa = (0..<8).map { _ in a.next() }
        let sb = (0..<8).map { _ in b.next() }
        XCTAssertNotEqual(sa, sb)
    }

    func testBelowStaysInRangeAndCoversIt() {
        var r = SimulationRandom(seed: 7)
        var seen = Set<UInt64>()
        for _ in 0..<2_000 {
            let x = r.below(10)
            XCTAssertLessThan(x, 10)
            seen.insert(x)
        }
        XCTAssertEqual(seen.count, 10, "2,000 draws below 10 should hit every value")
        for _ in 0..<1_000 { XCTAssertTrue((5...9).contains(r.inRange(5...9))) }
    }

    func testChanceExtremes() {
        var r = SimulationRandom(seed: 3)
        for _ in 0..<100 {
            XCTAssertFalse(r.chance(0))
            XCTAssertTrue(r.chance(1))
        }
        let hits = (0..<10_000).filter { _ in r.chance(0.3) }.count
        XCTAssertTrue((2_500...3_500).contains(hits), "30 % of 10,000 draws, got \(hits)")
    }

    func testEventQueueOrdersByTimeThenSchedulingOrder() {
        var q = EventQueue<String>()
        q.schedule("c", at: VirtualTime(milliseconds: 5))
        q.schedule("a", at: VirtualTime(milliseconds: 1))
        q.schedule("d", at: VirtualTime(milliseconds: 5))
        q.schedule("b", at: VirtualTime(milliseconds: 1))
        q.schedule("e", at: VirtualTime(milliseconds: 9))
        var out: [String] = []
        while let e = q.pop() { out.append(e.payload) }
        XCTAssertEqual(out, ["a", "b", "c", "d", "e"])
    }

    func testEventQueueMatchesSortUnderRandomLoad() {
        var r = SimulationRandom(seed: 11)
        var q = EventQueue<Int>()
        var expected: [(UInt64, Int)] = []
        for i in 0..<5_000 {
            let t = r.below(100)
            q.schedule(i, at: VirtualTime(milliseconds: t))
            expected.append((t, i))
        }
        expected.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var popped: [Int] = []
        while let e = q.pop() { popped.append(e.payload) }
        XCTAssertEqual(popped, expected.map(\.1))
    }

    func testFaultScheduleIsDeterministicAndHealsByGST() {
        for seed: UInt64 in 0..<50 {
            var a = SimulationRandom(seed: seed)
            var b = SimulationRandom(seed: seed)
            let honest = ReplicaSet.all(4)
            let s1 = FaultSchedule.draw(mix: .all, replicaCount: 4, honest: honest, maxClockDriftMs: 500, random: &a)
            let s2 = FaultSchedule.draw(mix: .all, replicaCount: 4, honest: honest, maxClockDriftMs: 500, random: &b)
            XCTAssertEqual(s1, s2)
            XCTAssertLessThanOrEqual(s1.network.lossBeforeGST, SimulationLimits.maxLossRate)
            for p in s1.partitions { XCTAssertLessThanOrEqual(p.end, s1.gst, "partition must heal by GST") }
            for c in s1.crashes { XCTAssertLessThanOrEqual(c.restartAt, s1.gst, "crashed replica must be back by GST") }
            for o in s1.clockOffsetsMs { XCTAssertLessThanOrEqual(abs(o), 250) }
        }
    }
}
