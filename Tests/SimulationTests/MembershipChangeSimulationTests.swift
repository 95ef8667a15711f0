// A validator joins mid-run (`SimulationParameters.addsValidatorAtBlock`): with every strategy and fault mix, every
// node switches to the five-validator epoch at the boundary, the joiner starts there and commits, and the agreement,
// validity, liveness, memory and invariant checkers hold across the boundary.
import XCTest
@testable import Adversary
@testable import Simulation

final class MembershipChangeSimulationTests: XCTestCase {
    var parameters: SimulationParameters {
        var p = SimulationParameters()
        p.addsValidatorAtBlock = 20  // W = 32, K = 8: epoch 0 ends at 56
        return p
    }

    func testEveryStrategyHoldsAcrossTheBoundaryWhereAFifthValidatorJoins() async {
        let choices = ByzantineStrategyChoice.parse("all")!
        let scenarios = (UInt64(0)..<UInt64(choices.count)).map { seed in
            Scenario(seed: seed, strategy: choices[Int(seed) % choices.count].strategy, faults: .all,
                     targetCommits: 120, timeLimitMs: 120_000)
        }
        let results = await Sweep.run(scenarios, jobs: 2, parameters: parameters)
        let failures = results.filter { !$0.passed }
        XCTAssertTrue(failures.isEmpty, failures.map(\.failureReport).joined(separator: "\n"))
        for result in results {
            XCTAssertGreaterThanOrEqual(result.ledgerHeight, 120, "seed \(result.scenario.seed): past the boundary at 56")
        }
    }

    func testEveryNodeSwitchesOnceAndTheJoinerCommitsInTheNewEpoch() {
        var lines: [String] = []
        let result = Simulator.run(Scenario(seed: 5, faults: .none, targetCommits: 100), parameters: parameters,
                                   trace: { _, line in lines.append(line) })
        XCTAssertTrue(result.passed, result.failureReport)
        for r in 0..<4 {
            XCTAssertEqual(lines.filter { $0.contains("r\(r) completes epoch 0 at n56 and starts epoch 1 with 5 validators") }.count, 1,
                           "r\(r)")
        }
        XCTAssertEqual(lines.filter { $0.contains("r4 joins at n56") }.count, 1)
        XCTAssertTrue(lines.contains { $0.contains("r4 commit n") }, "the joiner executes blocks of the new epoch")
        XCTAssertFalse(lines.contains { $0.contains("commit n57") && $0.contains("view v") && !$0.contains("proposer r0") },
                       "the new epoch's first block comes from validator 0 of the new set in view 0")
        // One seed replays exactly.
        XCTAssertEqual(Simulator.run(Scenario(seed: 5, faults: .none, targetCommits: 100), parameters: parameters).ledgerHash,
                       result.ledgerHash)
    }
}
