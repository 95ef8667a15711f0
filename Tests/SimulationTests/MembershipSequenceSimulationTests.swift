// Several validator-set changes in a row (`SimulationParameters.membershipChanges`): a removal (later ids shift down,
// the removed validator steps down), a rotation (the validator signs with its new key from its new epoch on), and
// add → remove → rotate across seeds with every Byzantine strategy and every fault, crashes across boundaries included.
// Every honest validator must reach the last epoch with no violation; and each check the changes brought is broken on
// purpose once to show it reports what it guards.
import LedgerCore
import XCTest
@testable import Adversary
@testable import Simulation

final class MembershipSequenceSimulationTests: XCTestCase {
    /// W = 32, K = 8; the first change after block 10, each next one 4 blocks past the previous boundary: three
    /// boundaries near 48, 88 and 128.
    func parameters(_ changes: [MembershipChangeKind]) -> SimulationParameters {
        var p = SimulationParameters()
        p.membershipChanges = changes
        p.addsValidatorAfterBlock = 10
        p.changeAfterBlocks = 4
        return p
    }

    /// Every planned change committed; every honest validator of the last set ended in the last epoch, past its
    /// first block; a removed honest validator stepped down in the epoch it left.
    func assertEveryHonestNodeReachedTheLastEpoch(_ result: RunResult, changes: Int, file: StaticString = #filePath, line: UInt = #line) {
        let seed = result.scenario.seed
        XCTAssertTrue(result.passed, result.failureReport, file: file, line: line)
        XCTAssertEqual(result.validatorSetChanges.count, changes, "seed \(seed): every change committed", file: file, line: line)
        if let last = result.validatorSetChanges.last {
            XCTAssertGreaterThan(result.ledgerHeight, last.lastOfEpoch, "seed \(seed): past the last boundary", file: file, line: line)
        }
        for node in result.honestNodes where node < result.nodeEpochs.count {
            if result.lastEpochMembers.contains(node) {
                XCTAssertEqual(result.nodeEpochs[node], UInt64(changes), "seed \(seed): honest r\(node) is in the last epoch",
                               file: file, line: line)
            }
        }
    }

    /// n = 5: the removed validator steps down at the boundary (keeping its retired replica for laggards), the ones
    /// after it take ids one lower, and the four left order the chain.
    func testARemovalShiftsLaterIdsDownAndTheRemovedValidatorStepsDown() throws {
        var lines: [String] = []
        let result = Simulator.run(Scenario(seed: 2, replicaCount: 5, faults: .none, targetCommits: 90),
                                   parameters: parameters([.remove]), trace: { _, line in lines.append(line) })
        assertEveryHonestNodeReachedTheLastEpoch(result, changes: 1)
        let submitted = try XCTUnwrap(lines.first { $0.contains("operator submits validator-set change") })
        let removed = try XCTUnwrap(Int(submitted.components(separatedBy: "removing r")[1].prefix { $0.isNumber }), submitted)
        XCTAssertEqual(result.lastEpochMembers, (0..<5).filter { $0 != removed })
        XCTAssertEqual(result.nodeEpochs[removed], 1)
        XCTAssertEqual(lines.filter { $0.contains("r\(removed) completes epoch 0") && $0.contains("steps down") }.count, 1)
        for node in (removed + 1)..<5 {
            XCTAssertEqual(lines.filter { $0.contains("r\(node) completes epoch 0") && $0.contains("as r\(node - 1)") }.count, 1,
                           "r\(node) takes id r\(node - 1)")
        }
        let steppedDown = try XCTUnwrap(lines.firstIndex { $0.contains("steps down") })
        XCTAssertFalse(lines[steppedDown...].contains { $0.contains("r\(removed) commit n") },
                       "the removed validator commits nothing after it stepped down")
    }

    /// The rotated validator keeps its id and signs with its new key in epoch 1; the run passes, so every message
    /// and certificate of epoch 1 verified against the new key (`testAValidatorThatKeepsItsOldIdentityIsReported` shows
    /// the old one fails).
    func testARotatedValidatorSignsWithItsNewKeyInTheNewEpoch() throws {
        var lines: [String] = []
        let result = Simulator.run(Scenario(seed: 4, faults: .none, targetCommits: 80),
                                   parameters: parameters([.rotate]), trace: { _, line in lines.append(line) })
        assertEveryHonestNodeReachedTheLastEpoch(result, changes: 1)
        XCTAssertTrue(lines.contains { $0.contains("operator submits validator-set change") && $0.contains("rotating the key of r") })
        XCTAssertEqual(result.lastEpochMembers, [0, 1, 2, 3])
        XCTAssertFalse(lines.contains { $0.contains("completes epoch 0") && $0.contains(" as r") }, "a rotation renumbers nobody")
    }

    /// add → remove → rotate, n = 4, seed s running entry s of none + every strategy, every fault (crashes,
    /// partitions, loss, drift) across three boundaries.
    func testAddRemoveRotateInARowHoldsWithEveryStrategyAndFault() async {
        let choices = ByzantineStrategyChoice.parse("all")!
        let scenarios = (UInt64(0)..<UInt64(choices.count)).map { seed in
            Scenario(seed: seed, strategy: choices[Int(seed) % choices.count].strategy, faults: .all,
                     targetCommits: 150, timeLimitMs: 120_000)
        }
        let results = await Sweep.run(scenarios, jobs: 2, parameters: parameters([.add, .remove, .rotate]))
        for result in results { assertEveryHonestNodeReachedTheLastEpoch(result, changes: 3) }
    }

    /// The same at n = 7 (two Byzantine), rotate → add → remove, a few strategies.
    func testRotateAddRemoveAtSevenValidators() async {
        let strategies: [ByzantineStrategy?] = [nil, .equivocate, .doubleVote, .amnesia]
        let scenarios = strategies.enumerated().map { i, strategy in
            Scenario(seed: UInt64(100 + i), replicaCount: 7, strategy: strategy, faults: .all, targetCommits: 150, timeLimitMs: 120_000)
        }
        let results = await Sweep.run(scenarios, jobs: 2, parameters: parameters([.rotate, .add, .remove]))
        for result in results { assertEveryHonestNodeReachedTheLastEpoch(result, changes: 3) }
    }

    /// A validator down across three boundaries catches up epoch by epoch (each finds the retired replicas of its
    /// epoch at the others), and the validator the second change removes, down across its boundary, restarts in its
    /// old epoch, reaches the boundary and steps down.
    func testValidatorsDownAcrossBoundariesCatchUpOrStepDown() throws {
        var p = parameters([.add, .remove, .rotate])  // seed 4: boundaries at 48, 88, 128 near 300, 590 and 840 ms; r2 is removed
        p.extraCrashes = [
            CrashPeriod(replica: ReplicaID(3), crashAt: VirtualTime(milliseconds: 200), restartAt: VirtualTime(milliseconds: 900)),
            CrashPeriod(replica: ReplicaID(2), crashAt: VirtualTime(milliseconds: 500), restartAt: VirtualTime(milliseconds: 1_000)),
        ]
        var lines: [String] = []
        let result = Simulator.run(Scenario(seed: 4, faults: .none, targetCommits: 150), parameters: p,
                                   trace: { _, line in lines.append(line) })
        assertEveryHonestNodeReachedTheLastEpoch(result, changes: 3)
        XCTAssertEqual(result.lastEpochMembers, [0, 1, 3, 4])
        let restart = try XCTUnwrap(lines.firstIndex { $0.contains("r3 restarts") })
        for epoch in 0..<3 {
            XCTAssertTrue(lines[restart...].contains { $0.contains("r3 completes epoch \(epoch)") }, "r3 switches out of epoch \(epoch) after its restart")
        }
        XCTAssertTrue(lines.contains { $0.contains("r2 completes epoch 1") && $0.contains("steps down") })
        XCTAssertEqual(result.nodeEpochs[2], 2)
    }

    /// Without changes beyond one add, a run is what it was: the first change is the same change.
    func testTheOneAddOfAddValidatorAfterIsTheFirstPlannedChange() {
        var one = SimulationParameters()
        one.addsValidatorAfterBlock = 20
        var listed = one
        listed.membershipChanges = [.add]
        let a = Simulator.run(Scenario(seed: 7, faults: .network, targetCommits: 90), parameters: one)
        let b = Simulator.run(Scenario(seed: 7, faults: .network, targetCommits: 90), parameters: listed)
        XCTAssertTrue(a.passed, a.failureReport)
        XCTAssertEqual(a.ledgerHash, b.ledgerHash)
        XCTAssertEqual(a.events, b.events)
    }

    /// A set below four is refused before the run.
    func testARemovalFromFourValidatorsIsRefused() {
        let result = Simulator.run(Scenario(seed: 1, faults: .none, targetCommits: 10), parameters: parameters([.remove]))
        XCTAssertFalse(result.passed)
        XCTAssertTrue(result.violations.contains { $0.detail.contains("would leave 3 validators") }, "\(result.violations)")
    }

    // MARK: Each check can fail

    /// A node that keeps its old identity at the switch (a rotated validator signing with its old key; after a
    /// removal, the validators behind it keeping their old ids) sends messages its new epoch's set does not verify.
    func testAValidatorThatKeepsItsOldIdentityIsReported() {
        for changes: [MembershipChangeKind] in [[.rotate], [.add, .remove]] {
            var p = parameters(changes)
            p.membershipSabotage = .staleIdentity
            let result = Simulator.run(Scenario(seed: 4, faults: .none, targetCommits: 100), parameters: p)
            XCTAssertTrue(result.violations.contains { $0.property == .contract && $0.detail.contains("fails verification") },
                          "\(changes): \(result.violations)")
        }
    }

    /// The simulator's map of the next set must be the ledger's: a plan that expects another key than the change
    /// names is reported when the change is accepted.
    func testASetTheSimulatorDoesNotMapAsTheLedgerDoesIsReported() {
        var p = parameters([.rotate])
        p.membershipSabotage = .wrongPlannedSet
        let result = Simulator.run(Scenario(seed: 4, faults: .none, targetCommits: 60), parameters: p)
        XCTAssertTrue(result.violations.contains { $0.property == .simulator && $0.detail.contains("not the one the simulator maps") },
                      "\(result.violations)")
    }

    /// The approval recount covers every applied change: the second of two, one approval short, is reported.
    func testTheMembershipCheckCatchesASecondChangeWithoutItsQuorum() {
        for seed in UInt64(1)...2 {
            let outcome = Simulator.membershipSelfTest(seed: seed, changes: [.add, .rotate])
            XCTAssertTrue(outcome.caught, "seed \(seed): \(outcome.result.violations)")
            XCTAssertEqual(outcome.result.validatorSetChanges.count, 2, "the second change took effect")
        }
    }

    /// Certificates are checked against the set of their block's epoch: after a rotation, every block's certificate
    /// verifies with its own epoch's keys, and an epoch-1 certificate checked as if the change had not happened fails.
    func testCertificatesAreCheckedAgainstTheirEpochsSet() throws {
        let run = SimulationRun(scenario: Scenario(seed: 4, faults: .none, targetCommits: 80), parameters: parameters([.rotate]),
                                trace: nil)
        let result = run.execute()
        XCTAssertTrue(result.passed, result.failureReport)
        let boundary = try XCTUnwrap(run.membershipChanges.first).lastSequence
        let ledger = run.nodes[0].ledger
        var checked = 0
        for h in 1...ledger.height.rawValue {
            let block = try XCTUnwrap(ledger.committed(at: Height(h)))
            XCTAssertNil(run.certificateProblem(block.certificate, batch: block.batch, sequence: Height(h)), "block \(h)")
            checked += 1
        }
        XCTAssertGreaterThan(UInt64(checked), boundary.rawValue)
        let later = try XCTUnwrap(ledger.committed(at: Height(boundary.rawValue + 1)))
        run.membershipChanges = []
        XCTAssertNotNil(run.certificateProblem(later.certificate, batch: later.batch, sequence: Height(boundary.rawValue + 1)),
                        "an epoch-1 certificate does not verify as epoch 0's")
    }
}
