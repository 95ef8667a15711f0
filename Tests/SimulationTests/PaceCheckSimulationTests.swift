// Checks the proposal-pace check end to end in the deterministic simulator: under a slow primary the committed transactions per virtual second stay at ≥ 50 % of the same seed's fault-free run (Aardvark's measure), and honest runs get no extra view changes from it.
import XCTest
import Adversary
@testable import Simulation

final class PaceCheckSimulationTests: XCTestCase {
    let seeds: [UInt64] = [1, 2, 3, 4]

    func testASlowPrimaryKeepsAtLeastHalfTheFaultFreeThroughput() {
        // Long enough (500 commits) that the one view change that replaces the slow primary is a cost of
        // the run, not most of it: the measure is throughput under attack, not the length of one view change.
        for seed in seeds {
            let honest = Simulator.run(Scenario(seed: seed, faults: .none, targetCommits: 500))
            let slow = Simulator.run(Scenario(seed: seed, strategy: .slowPrimary, faults: .none, targetCommits: 500))
            XCTAssertTrue(slow.passed, slow.failureReport)
            XCTAssertGreaterThanOrEqual(slow.viewChanges, 1, "seed \(seed): the slow primary was never voted out")
            // A calm network's GST is its start: the after-GST count sees that view change too (it is not blind).
            XCTAssertGreaterThanOrEqual(slow.viewChangesAfterGST, 1, "seed \(seed): \(slow.summary)")
            let share = slow.transactionsPerVirtualSecond / honest.transactionsPerVirtualSecond
            XCTAssertGreaterThanOrEqual(share, 0.5, "seed \(seed): \(slow.summary) vs \(honest.summary); replay: \(slow.scenario.replayCommand)")
        }
    }

    func testWithoutThePaceCheckASlowPrimaryKeepsItsView() {
        var off = SimulationParameters()
        off.isPaceCheckEnabled = false
        let slow = Simulator.run(Scenario(seed: seeds[0], strategy: .slowPrimary, faults: .none, targetCommits: 40), parameters: off)
        XCTAssertTrue(slow.passed, slow.failureReport)
        XCTAssertEqual(slow.viewChanges, 0, "the attack the pace check answers: every proposal lands just in time")
    }

    func testThePaceCheckAddsNoViewChangesToHonestRuns() {
        var off = SimulationParameters()
        off.isPaceCheckEnabled = false
        for seed in seeds {
            let calm = Simulator.run(Scenario(seed: seed, faults: .none))
            XCTAssertTrue(calm.passed, calm.failureReport)
            XCTAssertEqual(calm.viewChanges, 0, "seed \(seed): \(calm.summary)")
            for mix in [FaultMix.network, .crashes] {
                let on = Simulator.run(Scenario(seed: seed, faults: mix))
                let without = Simulator.run(Scenario(seed: seed, faults: mix), parameters: off)
                XCTAssertTrue(on.passed, on.failureReport)
                // Once the network holds, no honest primary is voted out (before GST, losses may cost any run a view).
                XCTAssertEqual(on.viewChangesAfterGST, 0, "seed \(seed), \(mix): \(on.summary); replay: \(on.scenario.replayCommand)")
                XCTAssertLessThanOrEqual(on.viewChanges, without.viewChanges,
                                         "seed \(seed), \(mix): \(on.summary) vs without the check \(without.summary)")
            }
        }
    }
}
