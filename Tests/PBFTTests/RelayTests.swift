// Checks that backups relay held requests to the primary before they could suspect it (Castro & Liskov §4.1; Replica+Relay.swift): a request only the backups hold is ordered without a view change, each is relayed at most once per view and a batch's worth at a time, and an honest primary that has its requests is sent none; once a relay was needed in a view the rest of it relays after two batch delays, and a new view starts with the full delay again; driven by hand on four replicas (T = 1 s → pace floor 600 ms, relay after 300 ms, then 20 ms, grace 200 ms, batches of 2).
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class RelayTests: XCTestCase {
    func testARequestOnlyTheBackupsHoldIsRelayedAndOrderedWithoutAViewChange() {
        var c = Cluster()
        XCTAssertEqual(c.replicas[1].configuration.requestRelayDelayMs, 300)
        c.submit([1], to: [1, 2, 3])  // never gossiped to the primary
        c.advance(499)  // grace 200 ms + relay delay 300 ms
        XCTAssertTrue(c.relays.allSatisfy(\.isEmpty), "relayed before the relay delay")
        c.advance(1)
        XCTAssertEqual(c.relays[1].map(\.to), [0], "replica 1 relays to the primary")
        XCTAssertEqual(c.replicas[1].counters.requestsRelayed, 1)
        for i in 2...3 {
            // Their relay timers fire at the same moment, after the primary's PRE-PREPARE ordered it.
            XCTAssertTrue(c.relays[i].allSatisfy { $0.to == 0 }, "replica \(i)")
        }
        c.advance(5_000)
        for i in 0..<4 {
            XCTAssertEqual(c.committedIDs(i), [1], "replica \(i)")
            XCTAssertEqual(c.replicas[i].view, .zero, "replica \(i) changed view")
            XCTAssertEqual(c.replicas[i].counters.viewChangesStarted, 0, "replica \(i)")
        }
    }

    func testWithoutTheRelayTheBackupsVoteOutAPrimaryThatNeverSawTheRequest() {
        // The attack the relay answers: whoever kept the request from the primary chose the view change.
        var c = Cluster { $0.isRequestRelayEnabled = false }
        c.submit([1], to: [1, 2, 3])
        c.advance(5_000)
        XCTAssertTrue(c.relays.allSatisfy(\.isEmpty))
        for i in 1...3 { XCTAssertGreaterThanOrEqual(c.replicas[i].view, View(1), "replica \(i)") }
        XCTAssertGreaterThanOrEqual((1...3).map { c.replicas[$0].counters.paceViewChangesStarted }.reduce(0, +), 2,
                                    "the pace check fired (the others joined by the f + 1 rule)")
        XCTAssertEqual(c.committedIDs(2), [1], "committed only by the next primary")
    }

    func testEachRequestIsRelayedOnceABatchAtATime() {
        var c = Cluster()
        c.autoDeliver = false  // the relays never reach the primary
        c.submit([1, 2, 3, 4, 5], to: [1, 2, 3])
        c.advance(900)  // up to just before the pace check (200 + 750)
        XCTAssertEqual(c.relays[1].map { $0.requests.map(\.id) }, [[1, 2], [3, 4], [5]],
                       "at most maxBatchTxs per relay, one relay per batch delay, each request once")
        XCTAssertEqual(c.replicas[1].counters.requestsRelayed, 5)
        XCTAssertTrue(c.relays[0].isEmpty, "the primary relays nothing")
    }

    func testANewViewsPrimaryGetsTheRequestsStillHeld() {
        var c = Cluster()
        c.autoDeliver = false
        c.submit([7], to: [2, 3])  // neither the primary of view 0 nor that of view 1 has it
        c.advance(900)
        XCTAssertEqual(c.relays[2].map(\.to), [0])
        c.relayQueue.removeAll()  // lost on the way: view 0's primary never orders it
        c.autoDeliver = true
        c.advance(5_000)
        XCTAssertEqual(c.relays[2].map(\.to), [0, 1], "relayed again, once, to view 1's primary")
        for i in 0..<4 {
            XCTAssertEqual(c.committedIDs(i), [7], "replica \(i)")
            XCTAssertEqual(c.replicas[i].view, View(1), "one view change (the relay to view 0's primary was lost), not two")
        }
    }

    func testAnHonestPrimaryThatHasTheRequestsIsSentNone() {
        var c = Cluster()
        for id in UInt64(1)...6 {
            c.submit([id])
            c.advance(300)
        }
        c.advance(5_000)
        for i in 0..<4 {
            XCTAssertEqual(c.committedIDs(i), [1, 2, 3, 4, 5, 6])
            XCTAssertTrue(c.relays[i].isEmpty, "replica \(i) relayed \(c.relays[i].count) times")
        }
    }

    func testOnceARelayWasNeededTheRestOfTheViewRelaysAfterThePromptDelay() {
        var c = Cluster()
        XCTAssertEqual(c.replicas[1].configuration.promptRequestRelayDelayMs, 20, "two batch delays")
        XCTAssertEqual(c.replicas[1].currentRelayDelayMs, 300)
        c.submit([1], to: [1, 2, 3])  // the attack: never gossiped to the primary
        c.advance(500)
        XCTAssertEqual(c.relays[1].map { $0.requests.map(\.id) }, [[1]])
        XCTAssertEqual(c.replicas[1].currentRelayDelayMs, 20, "a relay was needed: the rest of the view relays promptly")
        XCTAssertEqual(c.replicas[1].counters.promptRelayViews, 1)
        for id in UInt64(2)...4 {
            c.submit([id], to: [1, 2, 3])
            c.advance(19)
            XCTAssertEqual(c.relays[1].count, Int(id) - 1, "request \(id) not relayed before the prompt delay")
            c.advance(1)
            XCTAssertEqual(c.relays[1].last?.requests.map(\.id), [id], "request \(id) relayed after 20 ms, not 300")
            c.advance(200)
        }
        c.advance(5_000)
        for i in 0..<4 {
            XCTAssertEqual(c.committedIDs(i), [1, 2, 3, 4], "replica \(i)")
            XCTAssertEqual(c.replicas[i].view, .zero, "replica \(i)")
        }
        XCTAssertEqual(c.replicas[1].counters.requestsRelayed, 4, "each request once")
        XCTAssertEqual(c.replicas[1].counters.promptRelayViews, 1)
    }

    func testPromptRelaysStayOncePerRequestAndABatchAtATimeAndANewViewStartsWithTheFullDelay() {
        var c = Cluster()
        c.autoDeliver = false  // the relays never reach the primary
        c.submit([1], to: [1, 2, 3])
        c.advance(500)
        XCTAssertEqual(c.replicas[1].currentRelayDelayMs, 20)
        c.submit([2, 3, 4, 5, 6], to: [1, 2, 3])
        c.advance(100)
        XCTAssertEqual(c.relays[1].map { $0.requests.map(\.id) }, [[1], [2, 3], [4, 5], [6]],
                       "after the prompt delay, a batch's worth per batch delay, each request once")
        c.advance(300)  // up to just before the pace check (200 + 750)
        XCTAssertEqual(c.replicas[1].counters.requestsRelayed, 6, "nothing relayed twice in the view")
        c.relayQueue.removeAll()
        c.autoDeliver = true
        c.advance(5_000)
        for i in 1...3 {
            XCTAssertEqual(c.replicas[i].view, View(1), "replica \(i): view 0's primary never saw them")
            XCTAssertEqual(c.committedIDs(i), [1, 2, 3, 4, 5, 6], "replica \(i)")
        }
        XCTAssertEqual(c.replicas[2].currentRelayDelayMs, 300, "a new view starts with the full delay")
    }

    func testAnHonestViewNeverRelaysPromptly() {
        var c = Cluster()
        for id in UInt64(1)...6 {
            c.submit([id])
            c.advance(300)
        }
        for i in 1...3 {
            XCTAssertEqual(c.replicas[i].currentRelayDelayMs, 300, "replica \(i)")
            XCTAssertEqual(c.replicas[i].counters.promptRelayViews, 0, "replica \(i)")
        }
    }

    func testTheRelayDelayLiesBetweenAnHonestPrimarysLongestHoldAndThePaceFloor() {
        XCTAssertLessThan(PBFTLimits.requestRelayDelayDivisor, PBFTLimits.defaultBatchHoldFloorDivisor)
        XCTAssertGreaterThan(PBFTLimits.requestRelayDelayDivisor, 1)
        let config = testConfig(1)
        XCTAssertGreaterThan(config.requestRelayDelayMs, config.maxBatchHoldMs)
        XCTAssertLessThan(config.requestRelayDelayMs, config.proposalLatencyFloorMs)
        XCTAssertEqual(config.promptRequestRelayDelayMs, config.batchDelayMs * PBFTLimits.promptRelayDelayBatchDelays)
        XCTAssertLessThan(config.promptRequestRelayDelayMs, config.maxBatchHoldMs, "prompt: below an honest primary's longest hold")
        var slowBatches = config
        slowBatches.batchDelayMs = 400
        XCTAssertEqual(slowBatches.promptRequestRelayDelayMs, slowBatches.requestRelayDelayMs, "never above the full delay")
        var off = config
        off.isPaceCheckEnabled = false
        XCTAssertEqual(off.requestRelayDelayMs, off.viewChangeTimeoutMs / 2)
    }
}
