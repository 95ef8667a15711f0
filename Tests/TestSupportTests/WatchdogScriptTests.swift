// Checks scripts/watchdog, the guard that keeps scripts/test from hanging: a stalled command is killed and named, a finished one keeps its exit status, and processes it leaves behind are ended.
import Foundation
import TestSupport
import XCTest

final class WatchdogScriptTests: XCTestCase {
    /// The repository's scripts/watchdog (this file is Tests/TestSupportTests/…).
    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/watchdog").path

    /// Runs the watchdog with `arguments` as a shell would (see `spawnLikeAShell`) and returns its exit status and
    /// everything it printed.
    private func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("watchdog-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child = try spawnLikeAShell("/bin/bash", [Self.script] + arguments, outputPath: output)
        let status = try await child.wait("scripts/watchdog \(arguments.joined(separator: " "))", timeout: timeout)
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    func testAStalledCommandIsKilledWithinTheBoundAndTheRunningUnitIsNamed() async throws {
        let started = ContinuousClock.now
        let (status, output) = try await run([
            "--stall", "2", "--what", "test", "--progress", "passed", "--start", "^Test Case '(.*)' started", "--",
            "bash", "-c", "echo \"Test Case 'A.testOne' started\"; echo passed; echo \"Test Case 'A.testTwo' started\"; sleep 300",
        ])
        XCTAssertEqual(status, 124, output)
        XCTAssertTrue(output.contains("no progress for 2 s"), output)
        XCTAssertTrue(output.contains("running test: A.testTwo"), output)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(30), "the stall bound is 2 s")
    }

    func testSteadyProgressIsNotAStallAndTheExitStatusIsKept() async throws {
        // 4 s of work, a progress line every 0.2 s, against a 2 s stall bound.
        let (status, output) = try await run([
            "--stall", "2", "--progress", "^tick", "--", "bash", "-c", "for i in $(seq 1 20); do echo tick; sleep 0.2; done; exit 7",
        ])
        XCTAssertEqual(status, 7, output)
        XCTAssertFalse(output.contains("watchdog:"), output)
        XCTAssertEqual(output.components(separatedBy: "tick").count - 1, 20)
    }

    func testTheTotalBoundEndsARunThatKeepsPrinting() async throws {
        let (status, output) = try await run(["--stall", "60", "--total", "3", "--", "bash", "-c", "while true; do echo tick; sleep 0.1; done"])
        XCTAssertEqual(status, 124, output)
        XCTAssertTrue(output.contains("passed its total bound of 3 s"), output)
    }

    func testProcessesLeftBehindAreEnded() async throws {
        let marker = "watchdog-orphan-\(UInt32.random(in: 0...UInt32.max))"
        // The command exits at once, leaving a child that would hold the output open for 300 s.
        let (status, output) = try await run(["--stall", "60", "--", "bash", "-c", "(exec -a \(marker) sleep 300) & echo started; exit 0"])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("left processes behind"), output)
        let survivors = Process()
        survivors.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        survivors.arguments = ["-f", marker]
        survivors.standardOutput = FileHandle.nullDevice
        try survivors.run()
        let found = try await waitForExit(survivors, "pgrep")
        XCTAssertEqual(found, 1, "a process named \(marker) is still running")
    }
}
