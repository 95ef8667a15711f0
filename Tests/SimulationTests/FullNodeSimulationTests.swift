// The full node in the simulator: every strategy and fault mix with a ChainFollower fed by the replicas' pushes (a tenth
// lost, forged ones from Byzantine replicas): no violation, the replicas' run unchanged by it, and self-tests showing its
// safety and lag checks fail when the full node is broken on purpose.
import XCTest
@testable import Adversary
@testable import Simulation

final class FullNodeSimulationTests: XCTestCase {
    func scenario(_ seed: UInt64, strategy: ByzantineStrategy? = nil, faults: FaultMix = .all) -> Scenario {
        var s = Scenario(seed: seed, strategy: strategy, faults: faults, targetCommits: 60, timeLimitMs: 120_000)
        s.fullNode = true
        return s
    }

    func testEveryStrategyWithAFullNodePassesEveryCheck() async {
        let choices = ByzantineStrategyChoice.parse("all")!
        let scenarios = (UInt64(0)..<UInt64(2 * choices.count)).map { seed in
            scenario(seed, strategy: choices[Int(seed) % choices.count].strategy)
        }
        let results = await Sweep.run(scenarios, jobs: 2)
        let failures = results.filter { !$0.passed }
        XCTAssertTrue(failures.isEmpty, failures.map(\.failureReport).joined(separator: "\n"))
    }

    func testTheFullNodeFollowsRefusesForgeriesAndLeavesTheReplicasRunAsItWas() {
        var lines: [String] = []
        let with = Simulator.run(scenario(3, strategy: .equivocate, faults: .random), trace: { _, line in lines.append(line) })
        XCTAssertTrue(with.passed, with.failureReport)
        let summary = lines.first { $0.contains("full node: height") } ?? ""
        XCTAssertTrue(summary.contains("forged pushes refused") && !summary.contains(" 0 forged"), summary)
        var plain = scenario(3, strategy: .equivocate, faults: .random)
        plain.fullNode = false
        let without = Simulator.run(plain)
        XCTAssertEqual(with.ledgerHash, without.ledgerHash)
        XCTAssertEqual(with.messagesDelivered, without.messagesDelivered, "the full node draws from its own random stream")
        XCTAssertTrue(!plain.replayCommand.contains("--full-node") && scenario(3).replayCommand.contains("--full-node"))
    }

    func testSelfTestAFullNodeWithAnotherChainIsCaught() {
        let run = SimulationRun(scenario: scenario(1, faults: .random), parameters: SimulationParameters(), trace: nil)
        run.followerSabotage = .forgedChain
        let result = run.execute()
        XCTAssertTrue(result.violations.contains { $0.property == .stateDivergence }, result.failureReport)
    }

    func testSelfTestADeafFullNodeIsCaughtLagging() {
        let run = SimulationRun(scenario: scenario(1, faults: .random), parameters: SimulationParameters(), trace: nil)
        run.followerSabotage = .deaf
        let result = run.execute()
        XCTAssertTrue(result.violations.contains { $0.property == .liveness && $0.detail.contains("full node") }, result.failureReport)
    }
}
