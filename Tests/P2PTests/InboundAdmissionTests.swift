// Checks the inbound admission rules as a pure table: per-address caps, eviction of the oldest unauthenticated connection, slots freed by authentication, the per-address handshake rate with refill, floors derived from the validator count, and the bounded address table.
@testable import P2P
import XCTest

final class InboundAdmissionTests: XCTestCase {
    func limits(unauthenticated: Int = 4, perAddress: Int = 2, burst: Int = 3, rate: Double = 1) -> P2PLimits {
        var l = P2PLimits()
        l.maxUnauthenticatedInbound = unauthenticated
        l.maxUnauthenticatedPerAddress = perAddress
        l.handshakeBurstPerAddress = burst
        l.handshakesPerSecondPerAddress = rate
        return l
    }

    func admitted(_ d: InboundAdmission.Decision) -> InboundAdmission.ConnectionID? {
        if case let .admit(id, _) = d { id } else { nil }
    }

    func testPerAddressCapRefusesAndReleaseFreesTheSlot() {
        var a = InboundAdmission(limits: limits(burst: 10), validatorCount: 1)
        let first = admitted(a.admit(address: "a", nowMs: 0))
        XCTAssertNotNil(admitted(a.admit(address: "a", nowMs: 0)))
        XCTAssertEqual(a.admit(address: "a", nowMs: 0), .refuse(.tooManyFromAddress))
        XCTAssertNotNil(admitted(a.admit(address: "b", nowMs: 0)), "another address is not affected")
        a.release(first!)
        a.release(first!)  // twice is harmless
        XCTAssertNotNil(admitted(a.admit(address: "a", nowMs: 0)))
        XCTAssertEqual(a.unauthenticatedCount, 3)
    }

    func testTheOldestUnauthenticatedConnectionIsEvictedWhenFull() {
        var a = InboundAdmission(limits: limits(unauthenticated: 3, perAddress: 5, burst: 10), validatorCount: 1)
        let ids = (0..<3).compactMap { admitted(a.admit(address: "x\($0)", nowMs: UInt64($0))) }
        XCTAssertEqual(ids.count, 3)
        a.release(ids[0])  // authenticated: no longer a candidate
        guard case let .admit(_, evict) = a.admit(address: "y", nowMs: 10) else { return XCTFail("refused") }
        XCTAssertNil(evict, "a free slot needs no eviction")
        guard case let .admit(_, evict2) = a.admit(address: "z", nowMs: 11) else { return XCTFail("refused") }
        XCTAssertEqual(evict2, ids[1], "the oldest still in the handshake goes")
        XCTAssertEqual(a.unauthenticatedCount, 3)
    }

    func testHandshakeRateIsABucketPerAddressThatRefills() {
        var a = InboundAdmission(limits: limits(perAddress: 100, burst: 3, rate: 2), validatorCount: 1)
        for _ in 0..<3 { XCTAssertNotNil(admitted(a.admit(address: "a", nowMs: 1_000))) }
        XCTAssertEqual(a.admit(address: "a", nowMs: 1_000), .refuse(.rateLimited))
        XCTAssertNotNil(admitted(a.admit(address: "b", nowMs: 1_000)), "buckets are per address")
        XCTAssertEqual(a.admit(address: "a", nowMs: 1_400), .refuse(.rateLimited), "0.8 of a token after 400 ms at 2/s")
        XCTAssertNotNil(admitted(a.admit(address: "a", nowMs: 1_500)))
        XCTAssertEqual(a.admit(address: "a", nowMs: 900), .refuse(.rateLimited), "a clock going back grants nothing")
    }

    func testFloorsFollowTheValidatorCount() {
        let a = InboundAdmission(limits: limits(unauthenticated: 2, perAddress: 1, burst: 1), validatorCount: 10)
        XCTAssertEqual(a.maxUnauthenticated, 9)
        XCTAssertEqual(a.perAddress, 9, "nine validators behind one address may all handshake at once")
        XCTAssertEqual(a.burst, 18)
    }

    func testTheAddressTableIsBounded() {
        var l = limits(perAddress: 1, burst: 1, rate: 0.001)
        l.maxTrackedAddresses = 2
        var a = InboundAdmission(limits: l, validatorCount: 1)
        for (i, address) in ["a", "b", "c"].enumerated() {
            guard let id = admitted(a.admit(address: address, nowMs: UInt64(i))) else { return XCTFail(address) }
            a.release(id)
        }
        // "a" was forgotten (idle longest) to make room for "c": it gets a fresh bucket; "c" does not.
        XCTAssertNotNil(admitted(a.admit(address: "a", nowMs: 10)))
        XCTAssertEqual(a.admit(address: "c", nowMs: 10), .refuse(.rateLimited))
    }
}
