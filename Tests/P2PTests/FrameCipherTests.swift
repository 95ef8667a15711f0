// Checks sealed frames: counters advance per frame, replayed/reordered/tampered frames fail, and counter exhaustion is refused instead of reusing a nonce.
import LedgerCrypto
@testable import P2P
import XCTest

final class FrameCipherTests: XCTestCase {
    func testFramesOpenInOrderAndCarryTheirKind() throws {
        let key = AEADKey.generate()
        var sealer = FrameSealer(key: key)
        var opener = FrameOpener(key: key)
        let first = try sealer.seal(.payload, payload: [1, 2, 3])
        let second = try sealer.seal(.keepalive, payload: [])
        XCTAssertEqual(sealer.nextCounter, 2)
        let one = try opener.open(first)
        XCTAssertEqual(one.kind, .payload)
        XCTAssertEqual(one.payload, [1, 2, 3])
        let two = try opener.open(second)
        XCTAssertEqual(two.kind, .keepalive)
        XCTAssertEqual(two.payload, [])
        XCTAssertEqual(opener.nextCounter, 2)
    }

    func testReplayedAndReorderedFramesFailAuthentication() throws {
        let key = AEADKey.generate()
        var sealer = FrameSealer(key: key)
        let first = try sealer.seal(.payload, payload: [1])
        let second = try sealer.seal(.payload, payload: [2])

        var reordered = FrameOpener(key: key)
        XCTAssertThrowsError(try reordered.open(second)) { XCTAssertEqual($0 as? TransportError, .frameAuthenticationFailed) }

        var replayed = FrameOpener(key: key)
        _ = try replayed.open(first)
        XCTAssertThrowsError(try replayed.open(first)) { XCTAssertEqual($0 as? TransportError, .frameAuthenticationFailed) }
    }

    func testTamperedFrameFailsAuthentication() throws {
        let key = AEADKey.generate()
        var sealer = FrameSealer(key: key)
        var frame = try sealer.seal(.payload, payload: Array("pre-prepare".utf8))
        frame[3] ^= 0x80
        var opener = FrameOpener(key: key)
        XCTAssertThrowsError(try opener.open(frame)) { XCTAssertEqual($0 as? TransportError, .frameAuthenticationFailed) }
    }

    func testCounterExhaustionIsRefusedRatherThanReusingANonce() throws {
        let key = AEADKey.generate()
        var sealer = FrameSealer(key: key, nextCounter: UInt64.max - 1)
        let last = try sealer.seal(.payload, payload: [9])
        XCTAssertThrowsError(try sealer.seal(.payload, payload: [9])) { XCTAssertEqual($0 as? TransportError, .counterExhausted) }
        var opener = FrameOpener(key: key, nextCounter: UInt64.max - 1)
        XCTAssertEqual(try opener.open(last).payload, [9])
        XCTAssertThrowsError(try opener.open(last)) { XCTAssertEqual($0 as? TransportError, .counterExhausted) }
    }

    func testUnknownFrameKindIsMalformed() throws {
        let key = AEADKey.generate()
        let sealed = try key.seal([0x42, 1], counter: 0)
        var opener = FrameOpener(key: key)
        XCTAssertThrowsError(try opener.open(sealed)) {
            guard case .malformedFrame = $0 as? TransportError else { return XCTFail("got \($0)") }
        }
    }
}
