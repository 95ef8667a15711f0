// Checks the relations between the transport's limits: the defaults satisfy them and each broken relation is reported.
@testable import P2P
import NIOCore
import XCTest

final class P2PLimitsTests: XCTestCase {
    func testStandardLimitsAreConsistent() {
        XCTAssertEqual(P2PLimits.standard.problems, [])
        XCTAssertEqual(fastLimits().problems, [])
        XCTAssertEqual(P2PLimits.standard.maxPayloadBytes, 8 * 1024 * 1024)
        XCTAssertGreaterThan(P2PLimits.standard.maxFrameBytes, P2PLimits.standard.maxPayloadBytes)
        // Every validator set a genesis may hold (LedgerCore's Limits.validatorsMax, 100) fits the transport.
        XCTAssertGreaterThanOrEqual(P2PLimits.standard.maxValidators, 100)
    }

    func testEachBrokenRelationIsReported() {
        var tooSmallHandshake = P2PLimits()
        tooSmallHandshake.maxHandshakeMessageBytes = 100
        var keepaliveTooSlow = P2PLimits()
        keepaliveTooSlow.keepaliveInterval = keepaliveTooSlow.readIdleTimeout
        var backoffInverted = P2PLimits()
        backoffInverted.reconnectBaseDelay = .seconds(60)
        var queueTooSmall = P2PLimits()
        queueTooSmall.sendQueueMaxBytes = 10
        var noQueue = P2PLimits()
        noQueue.sendQueueCapacity = 0
        var noStrangers = P2PLimits()
        noStrangers.maxUnauthenticatedInbound = 0
        var noRate = P2PLimits()
        noRate.handshakesPerSecondPerAddress = 0
        var noThreads = P2PLimits()
        noThreads.eventLoopThreads = 0
        for limits in [tooSmallHandshake, keepaliveTooSlow, backoffInverted, queueTooSmall, noQueue, noStrangers, noRate, noThreads] {
            XCTAssertEqual(limits.problems.count, 1, "\(limits.problems)")
        }
    }
}
