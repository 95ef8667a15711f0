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

/// The full node across validator-set changes: a fresh core per epoch, each with the set its own chain names, so
/// every pushed or fetched certificate is checked against its block's epoch.
final class FullNodeAcrossEpochsSimulationTests: XCTestCase {
    func scenario(_ seed: UInt64, strategy: ByzantineStrategy? = nil, faults: FaultMix = .all) -> Scenario {
        var s = Scenario(seed: seed, strategy: strategy, faults: faults, targetCommits: 150, timeLimitMs: 120_000)
        s.fullNode = true
        return s
    }

    var parameters: SimulationParameters {
        var p = SimulationParameters()
        p.membershipChanges = [.add, .remove, .rotate]
        p.addsValidatorAfterBlock = 10
        p.changeAfterBlocks = 4
        return p
    }

    /// Every other entry of none + the strategies (the CLI sweep runs them all: `--full-node --membership-changes …`).
    func testAFullNodeFollowsAddRemoveRotateWithEveryOtherStrategy() async {
        let choices = ByzantineStrategyChoice.parse("all")!
        let scenarios = stride(from: UInt64(0), to: UInt64(choices.count), by: 2).map { seed in
            scenario(seed, strategy: choices[Int(seed) % choices.count].strategy)
        }
        let results = await Sweep.run(scenarios, jobs: 2, parameters: parameters)
        for result in results {
            XCTAssertTrue(result.passed, result.failureReport)
            XCTAssertEqual(result.validatorSetChanges.count, 3, "seed \(result.scenario.seed)")
            XCTAssertEqual(result.fullNodeEpoch, 3, "seed \(result.scenario.seed): the full node reached the last epoch")
        }
        // The replicas' run is the same without it.
        for result in results.prefix(3) {
            var plain = result.scenario
            plain.fullNode = false
            let without = Simulator.run(plain, parameters: parameters)
            XCTAssertEqual(without.ledgerHash, result.ledgerHash, "seed \(plain.seed)")
            XCTAssertEqual(without.messagesDelivered, result.messagesDelivered, "seed \(plain.seed)")
        }
    }

    /// A full node that keeps epoch 0's keys after a rotation refuses the rotated validator's honest pushes.
    func testSelfTestAFullNodeThatKeepsTheFirstSetIsCaught() {
        var p = parameters
        p.membershipChanges = [.rotate]
        let run = SimulationRun(scenario: scenario(4, faults: .none), parameters: p, trace: nil)
        run.followerSabotage = .keepsFirstSet
        let result = run.execute()
        XCTAssertTrue(result.violations.contains { $0.detail.contains("push to the full node fails verification") }, result.failureReport)
    }
}
