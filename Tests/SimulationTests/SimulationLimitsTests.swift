// Checks the relations between the simulator's bounds and parameters (change one number and this says what else must move).
import LedgerCore
import LedgerCrypto
import PBFT
import XCTest
@testable import Simulation

final class SimulationLimitsTests: XCTestCase {
    func testNetworkAndFaultBoundsAreConsistent() {
        XCTAssertLessThanOrEqual(SimulationLimits.maxLossRate, 0.30, "the brief allows loss up to 30 %")
        XCTAssertLessThan(
            SimulationLimits.crashDowntimeMs.lowerBound, SimulationLimits.gstRangeMs.lowerBound,
            "a crash must fit before the earliest GST")
        XCTAssertLessThanOrEqual(SimulationLimits.replicaCountRange.upperBound, ReplicaSet.capacity)
        XCTAssertGreaterThanOrEqual(SimulationLimits.clientCount, 2, "clients pay each other")
    }

    func testParametersMakeAValidReplicaConfiguration() throws {
        let p = SimulationParameters()
        for n in [4, 7, 10] {
            try p.configuration(replica: ReplicaID(n - 1), replicaCount: n).validate()
        }
        XCTAssertEqual(p.window % p.checkpointInterval, 0)
        XCTAssertEqual(p.maxLogEntries, Int(p.window))
        XCTAssertLessThanOrEqual(p.viewChangeTimeoutMs, p.maxViewChangeTimeoutMs)
    }

    func testLivenessBoundCoversFPlusOneFailedViewsAndARetry() {
        let p = SimulationParameters()
        for f in 1...3 {
            let bound = p.livenessBoundMs(f: f, maxMessageDelayMs: 250)
            XCTAssertGreaterThan(bound, UInt64(f + 1) * p.maxViewChangeTimeoutMs)
            XCTAssertGreaterThan(bound, p.clientRetryMs + p.batchDelayMs)
        }
        XCTAssertLessThan(
            SimulationLimits.gstRangeMs.upperBound + p.livenessBoundMs(f: 3, maxMessageDelayMs: 400),
            SimulationLimits.defaultTimeLimitMs, "the default time limit must leave room to observe the bound")
    }
}
