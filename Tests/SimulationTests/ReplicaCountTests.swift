// Runs n = 5, 6, 7 and 10 networks (honest and with f Byzantine replicas, hostile network) and checks every property holds.
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

    func testSizesBetweenThreeFPlusOneAcrossStrategies() {
        // n = 5 and 6 (f = 1, quorum 4) and 7 (f = 2, quorum 5), each with f Byzantine replicas of several strategies.
        let runs: [(Int, ByzantineStrategy?, FaultMix)] = [
            (5, nil, .all), (5, .equivocate, .network), (5, .fakePrepared, .crashes), (5, .badNewView, .partitions),
            (6, nil, .all), (6, .doubleVote, .network), (6, .silent, .crashes), (6, .equivocate, .partitions),
            (7, .fakePrepared, .network), (7, .badNewView, .crashes),
        ]
        for (i, (n, strategy, faults)) in runs.enumerated() {
            let f = (n - 1) / 3
            assertPasses(Scenario(seed: UInt64(500 + i), replicaCount: n, strategy: strategy,
                                  byzantineCount: strategy == nil ? 0 : f, faults: faults, targetCommits: 15))
        }
    }

    func testReplicaCountsFromFourAreAccepted() {
        for n in [4, 5, 6, 7, 8, 9, 64] { XCTAssertNil(Scenario(seed: 1, replicaCount: n).problem, "n = \(n)") }
        for n in [1, 2, 3, 65] { XCTAssertNotNil(Scenario(seed: 1, replicaCount: n).problem, "n = \(n)") }
        XCTAssertNotNil(Scenario(seed: 1, replicaCount: 4, strategy: nil, byzantineCount: 1).problem)
    }
}
