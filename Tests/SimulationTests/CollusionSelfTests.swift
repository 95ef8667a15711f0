// Checks the checker and the quorum rule: 2q − n colluding Byzantine replicas (equivocating primary + double-voting
// accomplices; f + 1 at n = 3f + 1) must make the safety checker report a fork, and so must one equivocating primary
// when five replicas use the classic quorum 2f + 1 = 3 instead of the rule's 4 — which the same run shows safe.
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

    func testTheFewestColludersTwoQuorumsCanMeetInAreCaughtWithFiveAndSixReplicas() {
        // n = 5: quorum 4, two quorums share 3 — 2 colluders (f + 1) are not enough, 3 are. n = 6: quorum 4, share 2.
        for (n, colluders) in [(5, 3), (6, 2)] {
            let outcome = Simulator.collusionSelfTest(seed: 5, replicaCount: n)
            XCTAssertEqual(outcome.result.scenario.byzantineCount, colluders, "n = \(n)")
            XCTAssertTrue(outcome.caught, "n = \(n): no safety violation reported; replay: \(outcome.result.scenario.replayCommand)")
        }
    }

    func testTheClassicQuorumForksFiveReplicasAndTheRuleDoesNot() {
        for seed: UInt64 in 1...2 {
            let classic = Simulator.quorumSelfTest(seed: seed, replicaCount: 5, quorum: 3)
            XCTAssertTrue(classic.caught, "seed \(seed): a quorum of 3 of 5 ran without a reported fork; "
                + "replay: swift run -c release ledger-sim --self-test --seed \(seed) --replicas 5")
            let rule = Simulator.quorumSelfTest(seed: seed, replicaCount: 5, quorum: nil)
            XCTAssertFalse(rule.caught, "seed \(seed): the rule's quorum of 4 forked")
            XCTAssertTrue(rule.result.passed, rule.result.failureReport)
        }
        // Six replicas with 2f + 1 = 3: the primary plus either half of the backups is a "quorum".
        XCTAssertTrue(Simulator.quorumSelfTest(seed: 3, replicaCount: 6, quorum: 3).caught)
    }

    func testFColludersAloneCannotFork() {
        // The same two behaviours, but only f = 1 of them Byzantine (the equivocating primary): no fork.
        let scenario = Scenario(seed: 1, strategy: .equivocate, byzantineCount: 1, faults: .none, targetCommits: 20)
        let result = Simulator.run(scenario)
        XCTAssertTrue(result.passed, result.failureReport)
    }
}
