// Sweeps seeds with damaged consensus logs: the first honest replica to crash loses records of its log at every restart and withholds its votes behind the voting fence. Every run must pass every checker (liveness only where Byzantine + 1 ≤ f), and the damage and the fence must actually happen.
import XCTest
@testable import Adversary
@testable import Simulation

final class DamagedLogSweepTests: XCTestCase {
    func testDamagedLogsNeverBreakSafetyAndTheFenceIsPassed() async {
        let choices = ByzantineStrategyChoice.parse("all")!
        // n = 4 with crashes: half the seeds honest-only (liveness checked), half with a Byzantine
        // strategy (safety only: the damaged replica is the second fault). n = 7 with one Byzantine
        // replica: liveness is checked with both faults present.
        var scenarios = (UInt64(0)..<60).map { seed in
            Scenario(seed: seed, strategy: seed % 2 == 0 ? nil : choices[Int(seed / 2) % choices.count].strategy,
                     faults: .crashes, targetCommits: 30, timeLimitMs: 120_000, damagedLogs: true)
        }
        scenarios += (UInt64(0)..<30).map { seed in
            let strategy = choices[Int(seed) % choices.count].strategy
            return Scenario(seed: seed, replicaCount: 7, strategy: strategy, byzantineCount: strategy == nil ? 0 : 1,
                     faults: .all, targetCommits: 30, timeLimitMs: 120_000, damagedLogs: true)
        }
        let results = await Sweep.run(scenarios, jobs: 2)
        var report = SweepReport()
        for r in results { report.add(r) }
        let failures = report.failures.map(\.failureReport).joined(separator: "\n")
        XCTAssertTrue(report.failures.isEmpty, "\(report.failures.count) of \(results.count) runs failed:\n\(failures)")
        for r in results where r.passed && r.scenario.strategy == nil {
            XCTAssertGreaterThanOrEqual(r.commits, 30, "run stopped before its target: \(r.summary); replay: \(r.scenario.replayCommand)")
        }

        // The sweep is only worth something if replicas really lost records and came back to voting.
        var damaged = 0
        var resumed = 0
        for seed in UInt64(0)..<8 {
            var lines: [String] = []
            let scenario = Scenario(seed: seed, faults: .crashes, targetCommits: 60, timeLimitMs: 120_000, damagedLogs: true)
            let result = Simulator.run(scenario, trace: { _, line in lines.append(line) })
            XCTAssertTrue(result.passed, result.failureReport)
            if lines.contains(where: { $0.contains("consensus log lost") }) { damaged += 1 }
            if lines.contains(where: { $0.contains("voting again") }) { resumed += 1 }
        }
        XCTAssertGreaterThanOrEqual(damaged, 4, "expected most of 8 crash runs to damage a log")
        XCTAssertGreaterThanOrEqual(resumed, 3, "expected replicas behind the fence to vote again")
    }
}
