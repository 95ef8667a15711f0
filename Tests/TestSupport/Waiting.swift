// Test support: the one bounded wait of the test suite — poll a condition until it holds, and fail (throwing) when time runs out.
import Foundation
import XCTest

/// What a bounded wait throws when its condition did not hold in time. Its description is the whole message,
/// "timed out after N s waiting for: <what>", so a test that stops on it says what it was waiting for.
public struct WaitTimeout: Error, CustomStringConvertible, Sendable {
    /// What the test was waiting for, in the caller's words.
    public let what: String
    /// How long it waited.
    public let timeout: Duration
    /// Where the wait was called (also where the failure is recorded).
    public let file: String
    public let line: UInt

    public init(what: String, timeout: Duration, file: StaticString = #filePath, line: UInt = #line) {
        self.what = what
        self.timeout = timeout
        self.file = "\(file)"
        self.line = line
    }

    public var description: String { "timed out after \(Self.seconds(timeout)) s waiting for: \(what)" }

    /// `duration` in seconds, as short as it can be written ("10", "0.2", "1.5").
    public static func seconds(_ duration: Duration) -> String { String(format: "%g", duration.inSeconds) }
}

/// Polls `condition` every `poll` until it returns `true`; after `timeout` it records a failure at the caller's
/// `file`/`line` and throws a `WaitTimeout`, so the test stops at the wait instead of running on (or hanging).
///
/// The condition is evaluated at least once, and once more after the deadline has passed, so a condition that
/// became true during the last pause still counts. An error thrown by the condition is passed on at once (use
/// `try?` inside the condition for transient failures such as a node that is not listening yet). `poll` may be
/// `.zero` for a busy loop that only yields.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(10), poll: Duration = .milliseconds(20),
    file: StaticString = #filePath, line: UInt = #line,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        if ContinuousClock.now >= deadline { break }
        if poll > .zero { try await Task.sleep(for: poll) } else { await Task.yield() }
    }
    throw recordedTimeout(what, timeout: timeout, file: file, line: line)
}

/// `waitUntil` for synchronous code (a test that runs its own threads, or a condition that must not suspend):
/// the same contract, pausing the calling thread between polls.
public func waitUntilSync(
    _ what: String, timeout: Duration = .seconds(10), poll: Duration = .milliseconds(20),
    file: StaticString = #filePath, line: UInt = #line,
    _ condition: () throws -> Bool
) throws {
    guard try pollSync(timeout: timeout, poll: poll, condition) else {
        throw recordedTimeout(what, timeout: timeout, file: file, line: line)
    }
}

/// Polls synchronously; `true` when the condition held before (or right after) the deadline.
func pollSync(timeout: Duration, poll: Duration, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        if poll > .zero { Thread.sleep(forTimeInterval: poll.inSeconds) }
    }
}

/// Records the timeout as a test failure at `file`/`line` and returns the error to throw.
func recordedTimeout(_ what: String, timeout: Duration, file: StaticString, line: UInt) -> WaitTimeout {
    let error = WaitTimeout(what: what, timeout: timeout, file: file, line: line)
    XCTFail(error.description, file: file, line: line)
    return error
}

extension Duration {
    /// The duration in seconds, as a `Double` (for `Thread.sleep` and messages).
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
