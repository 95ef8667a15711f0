// A validator joins mid-run (`SimulationParameters.addsValidatorAfterBlock`): an operator submits a real
// validator-set change, the replicas order it, the ledger's rule accepts it; with every strategy and fault mix every
// node switches to the five-validator epoch at the boundary, the joiner starts there and commits, and the agreement,
// validity, liveness, memory and invariant checkers hold across it. A change without its quorum is refused by the
// ledger, and one applied anyway (the self-test) is reported.
import LedgerCore
import XCTest
@testable import Adversary
@testable import Simulation

final class MembershipChangeSimulationTests: XCTestCase {
    var parameters: SimulationParameters {
        var p = SimulationParameters()
        p.addsValidatorAfterBlock = 20  // W = 32, K = 8: committed in block 21 or so, epoch 0 ends at 56 or 64
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
            let seed = result.scenario.seed
            let change = result.validatorSetChange
            XCTAssertNotNil(change, "seed \(seed): the change committed")
            XCTAssertGreaterThan(result.ledgerHeight, change?.lastOfEpoch ?? .max, "seed \(seed): past the boundary")
            XCTAssertGreaterThanOrEqual(result.epochSwitches, 1, "seed \(seed): validators switched to epoch 1")
        }
    }

    func testEveryNodeSwitchesOnceAndTheJoinerCommitsInTheNewEpoch() throws {
        var lines: [String] = []
        let result = Simulator.run(Scenario(seed: 5, faults: .none, targetCommits: 100), parameters: parameters,
                                   trace: { _, line in lines.append(line) })
        XCTAssertTrue(result.passed, result.failureReport)
        // The ledger decided where the change committed; the boundary follows from it (EpochBoundary).
        let committed = try XCTUnwrap(lines.first { $0.contains("validator-set change committed at n") })
        let numbers = committed.split(separator: "n").compactMap { UInt64($0.prefix { $0.isNumber }) }
        XCTAssertEqual(numbers.count, 2, committed)
        let (s, a) = (numbers[0], numbers[1])
        XCTAssertGreaterThan(s, 20, "submitted once block 20 executed")
        XCTAssertEqual(a, EpochBoundary.lastSequence(changeCommittedAt: SequenceNumber(s), window: 32, checkpointInterval: 8)?.rawValue)
        for r in 0..<4 {
            XCTAssertEqual(lines.filter { $0.contains("r\(r) completes epoch 0 at n\(a) and starts epoch 1 with 5 validators") }.count, 1,
                           "r\(r)")
        }
        XCTAssertEqual(lines.filter { $0.contains("r4 joins at n\(a)") }.count, 1)
        XCTAssertTrue(lines.contains { $0.contains("r4 commit n") }, "the joiner executes blocks of the new epoch")
        XCTAssertFalse(lines.contains { $0.contains("commit n\(a + 1):") && !$0.contains("proposer r0") },
                       "the new epoch's first block comes from validator 0 of the new set in view 0")
        // One seed replays exactly.
        XCTAssertEqual(Simulator.run(Scenario(seed: 5, faults: .none, targetCommits: 100), parameters: parameters).ledgerHash,
                       result.ledgerHash)
    }

    /// Seed 28 (bad-new-view, every fault): r0 executes epoch 0's last block just before a partition cuts it off, so
    /// it misses the others' CHECKPOINTs for it; no later checkpoint comes in epoch 0. Their retired replicas answer
    /// its STATUS with their proof of that checkpoint (`Replica.onStatus` at the epoch's end), and it completes the
    /// epoch. Without that answer it stayed in epoch 0 for good (`checkEveryHonestValidatorKeptUp` reports it).
    func testAValidatorThatMissedTheBoundaryCheckpointsStillCompletesItsEpoch() {
        let result = Simulator.run(Scenario(seed: 28, strategy: .badNewView, faults: .all, targetCommits: 100, timeLimitMs: 60_000),
                                   parameters: parameters)
        XCTAssertTrue(result.passed, result.failureReport)
        XCTAssertEqual(result.stopReason, .reachedTarget)
        XCTAssertEqual(result.nodeEpochs.prefix(4).filter { $0 == 1 }.count, 4, "\(result.nodeEpochs)")
    }

    /// Two approvals of four validators: the ledger refuses the change at execution; nobody switches.
    func testAChangeWithoutItsQuorumIsRefusedAndTheRunStaysInEpochZero() {
        var p = parameters
        p.changeApprovals = 2
        var lines: [String] = []
        let result = Simulator.run(Scenario(seed: 3, faults: .none, targetCommits: 80), parameters: p, trace: { _, line in lines.append(line) })
        XCTAssertTrue(result.passed, result.failureReport)
        XCTAssertTrue(lines.contains { $0.contains("operator submits validator-set change") && $0.contains("with 2 approvals") })
        XCTAssertFalse(lines.contains { $0.contains("validator-set change committed at") || $0.contains("completes epoch") })
        XCTAssertGreaterThanOrEqual(result.ledgerHeight, 80)
    }

    /// The self-test: the same change applied anyway (the ledger's quorum overridden) is reported by the
    /// simulator's independent check of every applied change — and with the real rule it is not applied at all.
    func testTheMembershipCheckCatchesAChangeAppliedWithoutItsQuorum() {
        for seed in UInt64(1)...3 {
            let outcome = Simulator.membershipSelfTest(seed: seed)
            XCTAssertTrue(outcome.caught, "seed \(seed): \(outcome.result.violations)")
        }
    }
}
