// Checks the checker: f+1 colluding Byzantine replicas (equivocating primary + double-voting accomplice) must make the safety checker report a fork.
import XCTest
@testable import Simulation

final class CollusionSelfTests: XCTestCase {
    func testFPlusOneColludersAreCaughtWithFourReplicas() {
        for seed: UInt64 in 1...3 {
            let outcome = Simulator.collusionSelfTest(seed: seed, replicaCount: 4)
            XCTAssertTrue(outcome.caught, "no safety violation reported; replay: \(outcome.result.scenario.replayCommand)")
        }
    }

    func testFPlusOneColludersAreCaughtWithSevenReplicas() {
        let outcome = Simulator.collusionSelfTest(seed: 9, replicaCount: 7)
        XCTAssertTrue(outcome.caught, "no safety violation reported; replay: \(outcome.result.scenario.replayCommand)")
    }

    func testFColludersAloneCannotFork() {
        // The same two behaviours, but only f = 1 of them Byzantine (the equivocating primary): no fork.
        let scenario = Scenario(seed: 1, strategy: .equivocate, byzantineCount: 1, faults: .none, targetCommits: 20)
        let result = Simulator.run(scenario)
        XCTAssertTrue(result.passed, result.failureReport)
    }
}
