// Sweeps 510 seeds (every strategy and fault mix, 30 commits each, 2 parallel jobs) and requires every run to pass every checker.
import XCTest
@testable import Adversary
@testable import Simulation

final class SweepTests: XCTestCase {
    func testSweepAcrossStrategiesAndFaultMixes() async {
        let choices = ByzantineStrategyChoice.parse("all")!
        let mixes = FaultMix.concrete
        XCTAssertEqual(510 % (choices.count * mixes.count), 0, "every (strategy, fault mix) pair must get the same share of seeds")
        // Seed s runs strategy s mod 17 (none and 16 strategies) and fault mix (s / 17) mod 5, so
        // every pair appears 6 times in 510 seeds.
        let scenarios = (UInt64(0)..<510).map { seed in
            Scenario(
                seed: seed, strategy: choices[Int(seed % UInt64(choices.count))].strategy,
                faults: mixes[Int(seed / UInt64(choices.count)) % mixes.count], targetCommits: 30,
                timeLimitMs: 120_000)
        }
        let results = await Sweep.run(scenarios, jobs: 2)
        var report = SweepReport()
        for r in results { report.add(r) }
        let failures = report.failures.map(\.failureReport).joined(separator: "\n")
        XCTAssertTrue(report.failures.isEmpty, "\(report.failures.count) of \(results.count) runs failed:\n\(failures)")
        XCTAssertEqual(report.rows.count, choices.count, "every strategy must have run")
        for r in results where r.passed {
            XCTAssertGreaterThanOrEqual(r.commits, 30, "run stopped before its target: \(r.summary); replay: \(r.scenario.replayCommand)")
        }
    }
}
