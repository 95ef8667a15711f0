// Feeds bytes into the length-prefixed frame decoder on an EmbeddedChannel: partial frames, several frames per read, zero-length frames, and oversized lengths refused from the prefix alone.
import NIOCore
import NIOEmbedded
@testable import P2P
import XCTest

final class FrameDecoderTests: XCTestCase {
    func makeChannel(max: Int = 100, handshakeMax: Int = 10, handshakeFrames: Int = 0) -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(
            FrameDecoder(maxFrameBytes: max, maxHandshakeFrameBytes: handshakeMax, handshakeFrames: handshakeFrames)))
    }

    func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    func testPartialFrameWaitsForTheRest() throws {
        let channel = makeChannel()
        try channel.writeInbound(buffer([0, 0, 0]))
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        try channel.writeInbound(buffer([5, 1, 2]))
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        try channel.writeInbound(buffer([3, 4, 5, 0, 0]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), buffer([1, 2, 3, 4, 5]))
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        try channel.writeInbound(buffer([0, 1, 7]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), buffer([7]))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testSeveralFramesInOneReadAndZeroLength() throws {
        let channel = makeChannel()
        try channel.writeInbound(buffer([0, 0, 0, 2, 9, 8, 0, 0, 0, 0, 0, 0, 0, 1, 6]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), buffer([9, 8]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self)?.readableBytes, 0)
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), buffer([6]))
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
    }

    func testOversizedLengthIsRefusedFromThePrefixAlone() throws {
        let channel = makeChannel(max: 100)
        // Only the 4-byte prefix arrives: the decoder refuses without waiting for (or allocating) the body.
        XCTAssertThrowsError(try channel.writeInbound(buffer([0xFF, 0xFF, 0xFF, 0xFF]))) {
            XCTAssertEqual($0 as? TransportError, .frameTooLarge(length: Int(UInt32.max), limit: 100))
        }
    }

    func testLimitIsInclusive() throws {
        let channel = makeChannel(max: 3)
        try channel.writeInbound(buffer([0, 0, 0, 3, 1, 2, 3]))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), buffer([1, 2, 3]))
        XCTAssertThrowsError(try channel.writeInbound(buffer([0, 0, 0, 4])))
    }

    func testHandshakeFramesHaveTheSmallerLimit() throws {
        let channel = makeChannel(max: 100, handshakeMax: 4, handshakeFrames: 2)
        try channel.writeInbound(buffer([0, 0, 0, 4, 1, 1, 1, 1, 0, 0, 0, 4, 2, 2, 2, 2]))
        XCTAssertNotNil(try channel.readInbound(as: ByteBuffer.self))
        XCTAssertNotNil(try channel.readInbound(as: ByteBuffer.self))
        // After the two handshake frames, the full limit applies.
        try channel.writeInbound(buffer([0, 0, 0, 50] + [UInt8](repeating: 3, count: 50)))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self)?.readableBytes, 50)

        let early = makeChannel(max: 100, handshakeMax: 4, handshakeFrames: 2)
        XCTAssertThrowsError(try early.writeInbound(buffer([0, 0, 0, 5]))) {
            XCTAssertEqual($0 as? TransportError, .frameTooLarge(length: 5, limit: 4))
        }
    }
}
