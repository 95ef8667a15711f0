// Checks in the deterministic simulator that one Byzantine validator can neither force view changes by keeping its clients' requests from the primary (`selective-gossip`: no more view changes than the honest run on a calm network, none after GST on a lossy one, and more once the backups' relay is off) nor make honest replicas flood each other with answers (`status-replay`: answers between honest replicas stay at the honest run's, and explode once the reply limits are off).
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

    /// Long enough that every lossy run goes past its GST (drawn up to 6 s of virtual time).
    let lossyCommits = 200

    func testSelectiveGossipForcesNoViewChange() {
        for seed in seeds {
            // A calm network: not one view change more than the honest run on the same seed.
            let honest = run(seed, nil, .none)
            let attacked = run(seed, .selectiveGossip, .none)
            XCTAssertGreaterThan(attacked.traffic.requestsRelayed, 0, "seed \(seed): the backups never relayed; \(attacked.summary)")
            XCTAssertLessThanOrEqual(attacked.viewChanges, honest.viewChanges,
                                     "seed \(seed): \(attacked.summary) vs honest \(honest.summary); replay: \(attacked.scenario.replayCommand)")
            // A lossy network: before GST a lost or late message can cost any run a view change, honest ones too
            // (which runs, depends on where the losses fall; a relayed request reaches the primary half a
            // view-change timeout late, so it has less time to survive them). Once the network holds, the relay
            // must keep every honest primary in office.
            let lossy = Simulator.run(Scenario(seed: seed, strategy: .selectiveGossip, faults: .network, targetCommits: lossyCommits))
            XCTAssertTrue(lossy.passed, lossy.failureReport)
            XCTAssertGreaterThan(lossy.endTime, lossy.gst, "seed \(seed): the run ended before GST; \(lossy.summary)")
            XCTAssertGreaterThan(lossy.traffic.requestsRelayed, 0, "seed \(seed): the backups never relayed; \(lossy.summary)")
            XCTAssertEqual(lossy.viewChangesAfterGST, 0, "seed \(seed): \(lossy.summary); replay: \(lossy.scenario.replayCommand)")
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
