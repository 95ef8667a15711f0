// Checks the deadline every RPC call runs under: it returns the work's result in time, and nil on time even when the work ignores cancellation.
@testable import Wallet
import XCTest

final class HardDeadlineTests: XCTestCase {
    func testTheResultComesBackWhenTheWorkFinishesFirst() async {
        let value = await withHardDeadline(milliseconds: 10_000) { 42 }
        XCTAssertEqual(value, 42)
    }

    func testWorkThatNeverFinishesAndIgnoresCancellationStillEndsAtTheDeadline() async {
        let started = ContinuousClock.now
        // A continuation nobody resumes: the shape of a request lost inside a networking stack.
        let never = NeverResumed()
        let value: Int? = await withHardDeadline(milliseconds: 200) { await never.wait() }
        XCTAssertNil(value)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(200))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
    }

    func testCancellingTheCallerCancelsTheWork() async {
        let outer = Task { await withHardDeadline(milliseconds: 60_000) { () async -> Bool in
            try? await Task.sleep(for: .seconds(60))
            return Task.isCancelled
        } }
        outer.cancel()
        let value = await outer.value
        XCTAssertEqual(value, true, "the work did not see the caller's cancellation")
    }
}

/// Suspends forever (the test process ends with it still suspended).
private actor NeverResumed {
    private var parked: [CheckedContinuation<Int, Never>] = []
    func wait() async -> Int { await withCheckedContinuation { parked.append($0) } }
}
