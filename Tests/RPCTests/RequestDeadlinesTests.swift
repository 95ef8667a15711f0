// Checks the rules of RequestDeadlines on a made-up clock: which deadline a connection is under after each event (connect, bytes, head, body end, response end, upgrade).
@testable import RPC
import XCTest

final class RequestDeadlinesTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    private func fresh(at t: UInt64 = 0) -> RequestDeadlines {
        RequestDeadlines(headTimeoutMs: 10, bodyTimeoutMs: 30, idleTimeoutMs: 60, connectedAt: t)
    }

    func testAFreshConnectionOwesItsHeadWithinTheHeadTimeoutOfConnectingWhateverItSends() {
        var d = fresh()
        d.bytesArrived(at: 9 * ms)
        XCTAssertEqual(d.next?.phase, .header)
        XCTAssertEqual(d.next?.deadlineNs, 10 * ms, "trickled bytes do not move the head deadline")
        XCTAssertNil(d.expired(at: 10 * ms - 1))
        XCTAssertEqual(d.expired(at: 10 * ms), .header)
    }

    func testTheBodyIsDueWithinTheBodyTimeoutOfTheHeadAndNothingIsTimedWhileAnswering() {
        var d = fresh()
        d.headReceived(at: 5 * ms)
        d.bytesArrived(at: 20 * ms)
        XCTAssertEqual(d.next?.phase, .body)
        XCTAssertEqual(d.next?.deadlineNs, 35 * ms)
        XCTAssertTrue(d.canAnswerTimeout)
        d.requestEnded()
        XCTAssertNil(d.next, "a request being answered is not timed here")
        d.responseEnded(at: 100 * ms)
        XCTAssertEqual(d.next?.phase, .idle)
        XCTAssertEqual(d.next?.deadlineNs, 160 * ms)
    }

    func testTheNextHeadIsDueWithinTheHeadTimeoutOfItsFirstByte() {
        var d = fresh()
        d.headReceived(at: 1 * ms)
        d.requestEnded()
        d.responseEnded(at: 2 * ms)
        d.bytesArrived(at: 50 * ms)
        XCTAssertEqual(d.next?.phase, .header)
        XCTAssertEqual(d.next?.deadlineNs, 60 * ms)
        XCTAssertTrue(d.canAnswerTimeout)
    }

    func testAPipelinedHeadBehindAnUnfinishedResponseCannotBeAnswered408() {
        var d = fresh()
        d.headReceived(at: 1 * ms)
        d.requestEnded()
        d.bytesArrived(at: 2 * ms)
        XCTAssertEqual(d.next?.phase, .header)
        XCTAssertFalse(d.canAnswerTimeout, "a 408 would interleave with the response still owed")
    }

    func testAWebSocketIsNotTimed() {
        var d = fresh()
        d.headReceived(at: 1 * ms)
        d.upgraded()
        d.bytesArrived(at: 500 * ms)
        XCTAssertNil(d.next)
        XCTAssertNil(d.expired(at: UInt64.max))
    }

    func testAConnectionWaitsOnItsClientUnlessARequestIsBeingAnsweredOrItIsAWebSocket() {
        let ms = self.ms
        var d = fresh(at: 1 * ms)
        // Each event in turn, and since when the connection waits on its client after it (nil: it does not).
        let events: [(what: String, event: (inout RequestDeadlines) -> Void, waitingSince: UInt64?)] = [
            ("silent since connecting", { _ in }, 1 * ms),
            ("a head on its way still waits from the connect", { $0.bytesArrived(at: 2 * ms) }, 1 * ms),
            ("a body on its way waits from its head", { $0.headReceived(at: 3 * ms) }, 3 * ms),
            ("being answered", { $0.requestEnded() }, nil),
            ("idle since the answer", { $0.responseEnded(at: 9 * ms) }, 9 * ms),
            ("the next head waits from its first byte", { $0.bytesArrived(at: 12 * ms) }, 12 * ms),
            ("a WebSocket", { $0.upgraded() }, nil),
        ]
        for (what, event, waitingSince) in events {
            event(&d)
            XCTAssertEqual(d.waitingSince, waitingSince, what)
        }
    }

    func testAPipelinedHeadBehindAnUnansweredRequestIsNotWaiting() {
        var d = fresh()
        d.headReceived(at: 1 * ms)
        d.requestEnded()
        d.bytesArrived(at: 2 * ms)  // the next request's head, while the first is answered
        XCTAssertNil(d.waitingSince)
    }
}
