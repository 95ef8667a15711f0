// Checks in the deterministic simulator that one Byzantine validator can neither force view changes by keeping its clients' requests from the primary (`selective-gossip`: no more view changes than the honest run on the same seeds, and more once the backups' relay is off) nor make honest replicas flood each other with answers (`status-replay`: answers between honest replicas stay at the honest run's, and explode once the reply limits are off).
import LedgerCore
import LedgerCrypto
import XCTest
import Adversary
import PBFT
@testable import Simulation

final class ByzantineLivenessSimulationTests: XCTestCase {
    let seeds: [UInt64] = [1, 2, 3, 4]
    let commits = 60

    func run(_ seed: UInt64, _ strategy: ByzantineStrategy?, _ mix: FaultMix, _ parameters: SimulationParameters = SimulationParameters()) -> RunResult {
        let r = Simulator.run(Scenario(seed: seed, strategy: strategy, faults: mix, targetCommits: commits), parameters: parameters)
        XCTAssertTrue(r.passed, r.failureReport)
        return r
    }

    func testSelectiveGossipForcesNoViewChange() {
        for mix in [FaultMix.none, .network] {
            var honestTotal = 0
            var attackedTotal = 0
            for seed in seeds {
                let honest = run(seed, nil, mix)
                let attacked = run(seed, .selectiveGossip, mix)
                XCTAssertGreaterThan(attacked.traffic.requestsRelayed, 0, "seed \(seed), \(mix): the backups never relayed; \(attacked.summary)")
                if mix == .none {
                    XCTAssertLessThanOrEqual(attacked.viewChanges, honest.viewChanges,
                                             "seed \(seed): \(attacked.summary) vs honest \(honest.summary); replay: \(attacked.scenario.replayCommand)")
                }
                honestTotal += honest.viewChanges
                attackedTotal += attacked.viewChanges
            }
            XCTAssertLessThanOrEqual(attackedTotal, honestTotal, "\(mix): view changes over seeds \(seeds)")
        }
    }

    func testWithoutTheRelaySelectiveGossipForcesViewChanges() {
        var off = SimulationParameters()
        off.isRequestRelayEnabled = false
        for seed in seeds {
            let honest = run(seed, nil, .none, off)
            let attacked = run(seed, .selectiveGossip, .none, off)
            XCTAssertEqual(attacked.traffic.requestsRelayed, 0)
            XCTAssertGreaterThan(attacked.viewChanges, honest.viewChanges,
                                 "seed \(seed): the attack the relay answers; \(attacked.summary) vs \(honest.summary)")
        }
    }

    func testStatusReplayCausesNoFloodBetweenHonestReplicas() {
        for seed in seeds {
            let honest = run(seed, nil, .none)
            let replay = run(seed, .statusReplay, .none)
            XCTAssertGreaterThan(replay.traffic.refusedOffSignerLink, 0, "seed \(seed): nothing was replayed; \(replay.summary)")
            XCTAssertLessThanOrEqual(replay.traffic.repliesBetweenHonest, 2 * honest.traffic.repliesBetweenHonest + 10,
                                     "seed \(seed): \(replay.traffic) vs honest \(honest.traffic)")
            // Its own STATUS: each of the 3 honest replicas answers it at most 4 times per retransmission
            // interval, each answer at most 16 batches, a 3-checkpoint proof, a NEW-VIEW and a VIEW-CHANGE.
            let spacing = SimulationParameters().retransmitIntervalMs / PBFTLimits.repliesPerPeerPerRetransmitInterval
            let answers = 3 * (replay.endTime.milliseconds / spacing + 1)
            XCTAssertLessThanOrEqual(UInt64(replay.traffic.repliesToByzantine), answers * 21, "seed \(seed): \(replay.traffic)")
        }
    }

    func testWithoutTheReplyLimitsStatusReplayFloodsHonestLinks() {
        var off = SimulationParameters()
        off.limitsReplies = false
        let seed = seeds[0]
        let honest = run(seed, nil, .none, off)
        let replay = run(seed, .statusReplay, .none, off)
        XCTAssertGreaterThan(replay.traffic.repliesBetweenHonest, 4 * honest.traffic.repliesBetweenHonest + 100,
                             "the reflection the limits stop: \(replay.traffic) vs honest \(honest.traffic)")
    }
}
