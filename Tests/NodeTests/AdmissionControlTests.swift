// Checks when the node refuses client transactions as busy: a backlog past what the recent commit rate clears within
// the admission limit, or a backlog whose oldest unordered request is past the age limit (a lone straggler is not
// enough); the rate forgets commits older than its window; the gate answers from the last verdict for a moment.
import Node
import XCTest

final class AdmissionControlTests: XCTestCase {
    private let bound: UInt64 = 1_500  // pace bound; the limit is two thirds: 1,000 ms

    func testTheGateAnswersFromTheLastVerdictUntilItIsDueForARecheck() {
        let gate = BusyGate()
        XCTAssertNil(gate.cachedRefusal(nowMs: 1_000), "open until the driver says otherwise")
        let busy = MempoolRejection.busy(backlog: 9, backlogLimit: 8, waitedMs: 0, limitMs: 499, retryAfterMs: 100)
        gate.record(busy, nowMs: 1_000)
        XCTAssertEqual(gate.cachedRefusal(nowMs: 1_000 + NodeLimits.busyGateRecheckMs - 1), busy)
        XCTAssertNil(gate.cachedRefusal(nowMs: 1_000 + NodeLimits.busyGateRecheckMs), "one caller goes through to the driver")
        XCTAssertEqual(gate.cachedRefusal(nowMs: 1_000 + NodeLimits.busyGateRecheckMs + 1), busy, "the others wait for its verdict")
        gate.record(nil, nowMs: 1_030)
        XCTAssertNil(gate.cachedRefusal(nowMs: 1_031))
    }

    func testTheLimitIsTwoThirdsOfThePaceBound() {
        XCTAssertEqual(AdmissionControl.limitMs(paceBoundMs: 1_500), 1_000)
        XCTAssertEqual(AdmissionControl.limitMs(paceBoundMs: .max), UInt64.max / 1_000 * 667, "no overflow trap")
    }

    func testABacklogPastWhatTheCommitRateClearsInTheLimitIsRefused() {
        var a = AdmissionControl(minimumBacklog: 2_000, windowMs: 2_000)
        // Nothing committed yet: the floor applies.
        XCTAssertNil(a.refusal(backlog: 1_999, oldestUnorderedWaitMs: 0, paceBoundMs: bound, nowMs: 10_000))
        XCTAssertNotNil(a.refusal(backlog: 2_000, oldestUnorderedWaitMs: 0, paceBoundMs: bound, nowMs: 10_000))
        // 8,000 transactions in the last 2 s: 4,000/s, so 4,000 may wait (1 s of commits).
        for t in stride(from: UInt64(8_100), through: 10_000, by: 100) { a.committed(400, nowMs: t) }
        XCTAssertEqual(a.committedPerSecond(nowMs: 10_000), 4_000)
        XCTAssertEqual(a.backlogLimit(limitMs: 1_000, nowMs: 10_000), 4_000)
        XCTAssertNil(a.refusal(backlog: 3_999, oldestUnorderedWaitMs: 0, paceBoundMs: bound, nowMs: 10_000))
        let refused = a.refusal(backlog: 4_200, oldestUnorderedWaitMs: 120, paceBoundMs: bound, nowMs: 10_000)
        XCTAssertEqual(refused, .busy(backlog: 4_200, backlogLimit: 4_000, waitedMs: 120, limitMs: 499, retryAfterMs: NodeLimits.busyRetryAfterMs))
        // The window moves on: with no commits for 2 s the rate is back to nothing and the floor rules again.
        XCTAssertEqual(a.committedPerSecond(nowMs: 12_001), 0)
        XCTAssertNotNil(a.refusal(backlog: 3_000, oldestUnorderedWaitMs: 0, paceBoundMs: bound, nowMs: 12_001))
    }

    func testAnAgingBacklogIsRefusedButALoneStragglerIsNot() {
        var a = AdmissionControl(minimumBacklog: 2_000)
        for t in stride(from: UInt64(100), through: 2_000, by: 100) { a.committed(1_000, nowMs: t) }  // 10,000/s
        XCTAssertEqual(AdmissionControl.ageLimitMs(paceBoundMs: bound), 499)
        XCTAssertNil(a.refusal(backlog: 2_000, oldestUnorderedWaitMs: 499, paceBoundMs: bound, nowMs: 2_000), "at the age limit, not past it")
        guard case let .busy(backlog, _, waited, limit, _)? = a.refusal(backlog: 2_000, oldestUnorderedWaitMs: 500, paceBoundMs: bound, nowMs: 2_000) else {
            return XCTFail("a backlog whose oldest request is past the age limit must refuse")
        }
        XCTAssertEqual(backlog, 2_000)
        XCTAssertEqual(waited, 500)
        XCTAssertEqual(limit, 499)
        XCTAssertNil(a.refusal(backlog: 1_999, oldestUnorderedWaitMs: 1_400, paceBoundMs: bound, nowMs: 2_000),
                     "one old request with little behind it is a straggler, not overload")
        XCTAssertNil(a.refusal(backlog: 2_000, oldestUnorderedWaitMs: 500, paceBoundMs: 3_000, nowMs: 2_000), "a looser bound, a looser limit")
    }
}
