// Checks the relations of the pace-monitoring limits and configuration: derived bounds sit between the batch delay and the view-change timeout for every usable genesis, and a configuration breaking them is refused with a reason.
import LedgerCrypto
import XCTest
import LedgerCore
@testable import PBFT

final class PaceConfigurationTests: XCTestCase {
    func testPaceLimitsKeepTheBoundsBelowTheViewChangeTimeout() {
        XCTAssertLessThanOrEqual(PBFTLimits.defaultProposalLatencyFloorPermille, PBFTLimits.defaultProposalLatencyCeilingPermille)
        XCTAssertLessThanOrEqual(PBFTLimits.defaultProposalLatencyCeilingPermille + PBFTLimits.defaultViewStartGracePermille, 1_000,
                                 "with the grace, the pace check still answers before the view-change timer")
        XCTAssertLessThan(PBFTLimits.defaultProposalLatencyCeilingPermille, 900,
                          "below the 90 % hold of a slow primary that only dodges the view-change timer")
        XCTAssertGreaterThanOrEqual(PBFTLimits.defaultProposalLatencySlack, 1)
        XCTAssertLessThanOrEqual(PBFTLimits.defaultProposalLatencySlack, PBFTLimits.maxProposalLatencySlack)
        XCTAssertGreaterThanOrEqual(PBFTLimits.defaultPaceHistoryViews, 1)
        XCTAssertLessThanOrEqual(PBFTLimits.defaultPaceHistoryViews, PBFTLimits.maxPaceHistoryViews)
    }

    func testDerivedBoundsFollowTheGenesisTimeoutAndBatchDelay() throws {
        let genesis = ConsensusParameters.testDefaults
        let cases: [(batchDelay: UInt64, timeout: UInt64)] = [
            (genesis.batchDelayMs, genesis.viewChangeTimeoutMs), (10, 1_000), (50, 2_000), (1, 100), (200, 60_000),
            (Limits.batchDelayMaxMs, Limits.viewChangeTimeoutMaxMs),
        ]
        for (batchDelay, timeout) in cases {
            let c = ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(1), chainID: "c", batchDelayMs: batchDelay,
                                         viewChangeTimeoutMs: timeout, maxViewChangeTimeoutMs: max(timeout, 120_000))
            XCTAssertNoThrow(try c.validate())
            XCTAssertTrue(c.isPaceCheckEnabled, "batch delay \(batchDelay), timeout \(timeout)")
            XCTAssertGreaterThan(c.proposalLatencyFloorMs, c.batchDelayMs)
            XCTAssertLessThanOrEqual(c.proposalLatencyFloorMs, c.proposalLatencyCeilingMs)
            XCTAssertLessThanOrEqual(c.proposalLatencyCeilingMs + c.viewStartGraceMs, c.viewChangeTimeoutMs)
            XCTAssertLessThan(c.proposalLatencyCeilingMs, c.viewChangeTimeoutMs * 9 / 10)
        }
    }

    func testAGenesisWhoseBatchDelayLeavesNoRoomTurnsThePaceCheckOff() throws {
        // Genesis validation allows any batch delay below the timeout; 700 of 1 000 ms leaves no
        // room for a floor above the batch delay, so the default is the view-change timer alone.
        let c = ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(1), chainID: "c", batchDelayMs: 700, viewChangeTimeoutMs: 1_000)
        XCTAssertFalse(c.isPaceCheckEnabled)
        XCTAssertNoThrow(try c.validate())
    }

    func testAnExplicitPaceCheckThatBreaksTheRelationsIsRefused() {
        let broken: [ReplicaConfiguration] = [
            ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(1), chainID: "c", batchDelayMs: 700, viewChangeTimeoutMs: 1_000,
                                 isPaceCheckEnabled: true),
            ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(1), chainID: "c", viewChangeTimeoutMs: 1_000,
                                 proposalLatencyFloorMs: 800, proposalLatencyCeilingMs: 700),
            ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(1), chainID: "c", viewChangeTimeoutMs: 1_000,
                                 proposalLatencyCeilingMs: 900, viewStartGraceMs: 200),
            ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(1), chainID: "c", proposalLatencySlack: 0),
            ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(1), chainID: "c", paceHistoryViews: PBFTLimits.maxPaceHistoryViews + 1),
        ]
        for c in broken {
            XCTAssertThrowsError(try c.validate()) { error in
                guard case PBFTError.invalidConfiguration = error else { return XCTFail("\(error)") }
            }
        }
    }
}
