// Checks the shared bounded waits: they return once the condition holds, and on timeout they record a failure at the call site and throw "timed out after N s waiting for: <what>"; the process wait kills a child that outlives it.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import XCTest

final class WaitingTests: XCTestCase {
    /// One failure recorded while `capturing` is on (instead of failing this test).
    struct Recorded: Equatable {
        var description: String
        var file: String
        var line: Int
    }

    private let lock = NSLock()
    private var capturing = false
    private var recorded: [Recorded] = []

    /// While capturing, failures are collected for the test to inspect; otherwise they fail the test as usual.
    override func recordFailure(withDescription description: String, inFile filePath: String, atLine lineNumber: Int, expected: Bool) {
        let kept = lock.withLock { () -> Bool in
            guard capturing else { return false }
            recorded.append(Recorded(description: description, file: filePath, line: lineNumber))
            return true
        }
        if !kept { super.recordFailure(withDescription: description, inFile: filePath, atLine: lineNumber, expected: expected) }
    }

    /// Runs `body` with failures captured; returns them.
    private func capturingFailures(_ body: () async throws -> Void) async rethrows -> [Recorded] {
        lock.withLock { capturing = true; recorded = [] }
        defer { lock.withLock { capturing = false } }
        try await body()
        return lock.withLock { recorded }
    }

    private func capturingFailuresSync(_ body: () throws -> Void) rethrows -> [Recorded] {
        lock.withLock { capturing = true; recorded = [] }
        defer { lock.withLock { capturing = false } }
        try body()
        return lock.withLock { recorded }
    }

    // MARK: waitUntil

    func testWaitUntilReturnsAsSoonAsTheConditionHolds() async throws {
        var polls = 0
        let started = ContinuousClock.now
        let failures = try await capturingFailures {
            try await waitUntil("the third poll", timeout: .seconds(10), poll: .milliseconds(5)) {
                polls += 1
                return polls == 3
            }
        }
        XCTAssertEqual(polls, 3, "it stops polling once the condition holds")
        XCTAssertEqual(failures, [], "nothing is recorded when the condition holds")
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5), "it did not wait for the timeout")
    }

    func testWaitUntilThrowsAndRecordsAtTheCallSiteWhatItWaitedFor() async throws {
        let started = ContinuousClock.now
        var thrown: Error?
        var polls = 0
        let callLine = #line + 3
        let failures = await capturingFailures {
            do {
                try await waitUntil("the moon to turn blue", timeout: .milliseconds(200), poll: .milliseconds(10)) {
                    polls += 1
                    return false
                }
            } catch {
                thrown = error
            }
        }
        let elapsed = ContinuousClock.now - started
        let error = try XCTUnwrap(thrown as? WaitTimeout, "no WaitTimeout thrown: \(String(describing: thrown))")
        XCTAssertEqual("\(error)", "timed out after 0.2 s waiting for: the moon to turn blue")
        XCTAssertEqual(failures.map(\.description), ["failed - timed out after 0.2 s waiting for: the moon to turn blue"], "recorded as XCTFail")
        XCTAssertEqual(failures.first?.line, callLine, "the failure points at the wait, not into the helper")
        XCTAssertEqual(failures.first.map { URL(fileURLWithPath: $0.file).lastPathComponent }, "WaitingTests.swift")
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(200), "it gave up before the timeout")
        XCTAssertLessThan(elapsed, .seconds(5), "it overran the timeout by far")
        XCTAssertGreaterThan(polls, 2, "it kept polling until the deadline")
    }

    func testWaitUntilPassesOnAnErrorOfTheCondition() async throws {
        struct Broken: Error {}
        var thrown: Error?
        let failures = await capturingFailures {
            do { try await waitUntil("a broken condition", timeout: .seconds(10)) { throw Broken() } } catch { thrown = error }
        }
        XCTAssertTrue(thrown is Broken, "got \(String(describing: thrown))")
        XCTAssertEqual(failures, [], "the condition's own error is not a timeout")
    }

    // MARK: waitUntilSync

    func testWaitUntilSyncReturnsOnceAnotherThreadMakesTheConditionTrue() throws {
        let flag = Flag()
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.05)  // the scenario: the flag is set a little later, from another thread
            flag.set()
        }
        let failures = try capturingFailuresSync {
            try waitUntilSync("the other thread sets the flag", timeout: .seconds(10), poll: .milliseconds(5)) { flag.isSet }
        }
        XCTAssertTrue(flag.isSet)
        XCTAssertEqual(failures, [])
    }

    func testWaitUntilSyncThrowsAndRecordsAtTheCallSiteWhatItWaitedFor() throws {
        var thrown: Error?
        let callLine = #line + 2
        let failures = capturingFailuresSync {
            do { try waitUntilSync("a flag nobody sets", timeout: .milliseconds(100)) { false } } catch { thrown = error }
        }
        XCTAssertEqual(thrown.map { "\($0)" }, "timed out after 0.1 s waiting for: a flag nobody sets")
        XCTAssertEqual(failures.map(\.description), ["failed - timed out after 0.1 s waiting for: a flag nobody sets"])
        XCTAssertEqual(failures.first?.line, callLine)
    }

    func testTimeoutsAreWrittenInSeconds() {
        XCTAssertEqual(WaitTimeout(what: "x", timeout: .seconds(10)).description, "timed out after 10 s waiting for: x")
        XCTAssertEqual(WaitTimeout(what: "y", timeout: .milliseconds(1500)).description, "timed out after 1.5 s waiting for: y")
    }

    // MARK: waitForExit

    func testWaitForExitReturnsTheExitStatusOfAChildThatEnds() async throws {
        let quick = try start("/bin/sh", ["-c", "exit 3"])
        let status = try await waitForExit(quick, "sh -c 'exit 3' to exit", timeout: .seconds(10))
        XCTAssertEqual(status, 3)
        let quickSync = try start("/bin/sh", ["-c", "exit 4"])
        XCTAssertEqual(try waitForExitSync(quickSync, "sh -c 'exit 4' to exit", timeout: .seconds(10)), 4)
    }

    func testWaitForExitKillsAChildThatOutlivesItAndSaysWhatItWaitedFor() async throws {
        let sleeper = try start("/bin/sleep", ["30"])
        defer { if sleeper.isRunning { kill(sleeper.processIdentifier, SIGKILL) } }
        let pid = sleeper.processIdentifier
        var thrown: Error?
        let failures = await capturingFailures {
            do { try await waitForExit(sleeper, "sleep 30 to exit", timeout: .milliseconds(200)) } catch { thrown = error }
        }
        let expected = "timed out after 0.2 s waiting for: sleep 30 to exit (killed process \(pid) with SIGKILL)"
        XCTAssertEqual(thrown.map { "\($0)" }, expected)
        XCTAssertEqual(failures.map(\.description), ["failed - " + expected])
        XCTAssertFalse(sleeper.isRunning, "the child outlived the wait")
        XCTAssertEqual(sleeper.terminationReason, .uncaughtSignal)
        XCTAssertEqual(sleeper.terminationStatus, SIGKILL)
    }

    func testWaitForExitSyncKillsAChildThatOutlivesIt() throws {
        let sleeper = try start("/bin/sleep", ["30"])
        defer { if sleeper.isRunning { kill(sleeper.processIdentifier, SIGKILL) } }
        var thrown: Error?
        let failures = capturingFailuresSync {
            do { try waitForExitSync(sleeper, "sleep 30 to exit", timeout: .milliseconds(100)) } catch { thrown = error }
        }
        XCTAssertTrue((thrown as? WaitTimeout)?.what.hasPrefix("sleep 30 to exit (killed process") == true, "\(String(describing: thrown))")
        XCTAssertEqual(failures.count, 1)
        XCTAssertFalse(sleeper.isRunning)
    }

    private func start(_ path: String, _ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        try p.run()
        return p
    }
}

/// A flag set by one thread and read by another.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
