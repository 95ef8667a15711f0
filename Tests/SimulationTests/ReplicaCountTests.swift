// Runs n = 7 and n = 10 networks (honest and with f Byzantine replicas, hostile network) and checks every property holds.
import XCTest
@testable import Adversary
@testable import Simulation

final class ReplicaCountTests: XCTestCase {
    private func assertPasses(_ scenario: Scenario, file: StaticString = #filePath, line: UInt = #line) {
        let result = Simulator.run(scenario)
        XCTAssertTrue(result.passed, result.failureReport, file: file, line: line)
        XCTAssertGreaterThanOrEqual(
            result.commits, scenario.targetCommits,
            "stopped early (\(result.stopReason)); replay: \(scenario.replayCommand)", file: file, line: line)
    }

    func testSevenReplicas() {
        assertPasses(Scenario(seed: 70, replicaCount: 7, faults: .all, targetCommits: 20))
        assertPasses(Scenario(seed: 71, replicaCount: 7, strategy: .equivocate, byzantineCount: 2, faults: .network, targetCommits: 20))
        assertPasses(Scenario(seed: 72, replicaCount: 7, strategy: .silent, byzantineCount: 2, faults: .crashes, targetCommits: 20))
    }

    func testTenReplicas() {
        assertPasses(Scenario(seed: 100, replicaCount: 10, faults: .partitions, targetCommits: 15))
        assertPasses(Scenario(seed: 101, replicaCount: 10, strategy: .doubleVote, byzantineCount: 3, faults: .network, targetCommits: 15))
    }

    func testBadReplicaCountsAreRefused() {
        XCTAssertNotNil(Scenario(seed: 1, replicaCount: 5).problem)
        XCTAssertNotNil(Scenario(seed: 1, replicaCount: 4, strategy: nil, byzantineCount: 1).problem)
        XCTAssertNil(Scenario(seed: 1, replicaCount: 7).problem)
    }
}
