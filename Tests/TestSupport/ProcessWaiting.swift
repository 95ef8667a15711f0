// Test support: waiting for a child process to exit with a deadline — on timeout the child is SIGKILLed and the test fails naming what it waited for.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits until `process` has exited (returning at once if it is not running), at most `timeout`. Past the
/// deadline the process is killed with SIGKILL (so no child outlives the test), a failure is recorded at the
/// caller's `file`/`line`, and a `WaitTimeout` is thrown whose description names `what` and the kill.
/// Returns the exit status (or the signal number when a signal ended it).
@discardableResult
public func waitForExit(
    _ process: Process, _ what: String, timeout: Duration = .seconds(30), poll: Duration = .milliseconds(20),
    file: StaticString = #filePath, line: UInt = #line
) async throws -> Int32 {
    let deadline = ContinuousClock.now + timeout
    while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: poll) }
    if process.isRunning { throw killAfterTimeout(process, what, timeout: timeout, file: file, line: line) }
    return process.terminationStatus
}

/// `waitForExit` for synchronous code (`defer` blocks, thread-based tests): the same contract, pausing the
/// calling thread between polls.
@discardableResult
public func waitForExitSync(
    _ process: Process, _ what: String, timeout: Duration = .seconds(30), poll: Duration = .milliseconds(20),
    file: StaticString = #filePath, line: UInt = #line
) throws -> Int32 {
    let exited = pollSync(timeout: timeout, poll: poll) { !process.isRunning }
    if !exited { throw killAfterTimeout(process, what, timeout: timeout, file: file, line: line) }
    return process.terminationStatus
}

/// SIGKILLs a process that outlived its wait, waits (bounded) for the kill to land, records the failure and
/// returns the error to throw.
private func killAfterTimeout(_ process: Process, _ what: String, timeout: Duration, file: StaticString, line: UInt) -> WaitTimeout {
    let pid = process.processIdentifier
    kill(pid, SIGKILL)
    let died = pollSync(timeout: .seconds(10), poll: .milliseconds(20)) { !process.isRunning }
    let outcome = died ? "killed process \(pid) with SIGKILL" : "process \(pid) still running 10 s after SIGKILL"
    return recordedTimeout("\(what) (\(outcome))", timeout: timeout, file: file, line: line)
}
