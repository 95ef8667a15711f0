// Checks in the simulator that view changes under full batches fit the transport's frame limit (VIEW-CHANGE and NEW-VIEW name batches by digest; replicas fetch the batches they lack), and that the size check catches an honest message over the limit.
import XCTest
@testable import Simulation

final class FrameLimitSimulationTests: XCTestCase {
    /// 400 clients fill the batches (about 60 of the 64 transfers each).
    func fullBatches(seed: UInt64) -> Scenario {
        Scenario(seed: seed, strategy: .silent, faults: .all, targetCommits: 100, clientCount: 400)
    }

    func testViewChangesUnderFullBatchesFitTheFrameLimit() {
        // With every prepared batch attached to the VIEW-CHANGE, these seeds sent 105 KiB and
        // 123 KiB VIEW-CHANGEs, over the 96 KiB limit, at commits 79 and 50.
        for seed: UInt64 in [2, 3] {
            let r = Simulator.run(fullBatches(seed: seed))
            XCTAssertTrue(r.passed, r.failureReport)
            XCTAssertGreaterThanOrEqual(r.viewChanges, 1, r.summary)
            XCTAssertGreaterThan(r.transactionsCommitted, 40 * r.commits, "batches were not full: \(r.summary)")
            XCTAssertLessThanOrEqual(r.largestMessageBytes, SimulationParameters().maxMessageBytes, r.summary)
        }
    }

    func testTheSizeCheckCatchesAnHonestMessageOverTheLimit() {
        var small = SimulationParameters()
        small.maxMessageBytes = 2_048
        let r = Simulator.run(fullBatches(seed: 2), parameters: small)
        XCTAssertFalse(r.passed)
        XCTAssertTrue(r.violations.contains { $0.property == .contract && $0.detail.contains("frame limit") }, r.failureReport)
    }
}
