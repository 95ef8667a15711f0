// Runs the same seed twice (with faults and a Byzantine replica) and compares final ledger hashes and event counts.
import XCTest
@testable import Adversary
@testable import Simulation

final class DeterminismTests: XCTestCase {
    func testSameSeedReproducesTheRunExactly() {
        for (seed, strategy) in [(UInt64(5), ByzantineStrategy?.none), (17, .equivocate), (23, .amnesia), (31, .flood)] {
            let scenario = Scenario(seed: seed, strategy: strategy, faults: .all, targetCommits: 25)
            let outcome = Simulator.checkDeterminism(scenario)
            XCTAssertTrue(
                outcome.isDeterministic,
                "seed \(seed) ran differently twice: \(outcome.first.summary) vs \(outcome.second.summary); replay: \(scenario.replayCommand)")
            XCTAssertGreaterThan(outcome.first.ledgerHeight, 0, "the run must commit something to compare")
        }
    }

    func testDifferentSeedsGiveDifferentLedgers() {
        let a = Simulator.run(Scenario(seed: 1, faults: .network, targetCommits: 15))
        let b = Simulator.run(Scenario(seed: 2, faults: .network, targetCommits: 15))
        XCTAssertNotEqual(a.ledgerHash, b.ledgerHash, "client keys and timings come from the seed")
    }
}
