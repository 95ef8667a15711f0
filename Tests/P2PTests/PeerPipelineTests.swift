// Wires two full peer pipelines back to back on EmbeddedChannels (no sockets) and checks handshake, delivery, and that tampering, oversize, garbage, idleness and protocol violations close the connection.
import LedgerCrypto
import NIOCore
import NIOEmbedded
@testable import P2P
import XCTest

/// Records what the handlers report. EmbeddedChannel runs everything on the test thread.
final class RecordingDelegate: PeerChannelDelegate, @unchecked Sendable {
    var handshakeFailures: [HandshakeError] = []
    var frameFailures: [TransportError] = []
    var established: [(PeerID, ConnectionDirection)] = []
    var closed: [PeerID?] = []
    var received: [PeerMessage] = []

    func handshakeFailed(_ error: HandshakeError, direction: ConnectionDirection, remote: SocketAddress?) { handshakeFailures.append(error) }
    func frameFailed(_ error: TransportError, peer: PeerID, direction: ConnectionDirection) { frameFailures.append(error) }
    func channelEstablished(_ channel: Channel, peer: PeerID, direction: ConnectionDirection, identityRevision: UInt64) { established.append((peer, direction)) }
    func channelClosed(_ channel: Channel, peer: PeerID?, direction: ConnectionDirection) { closed.append(peer) }
    func received(_ bytes: [UInt8], from peer: PeerID, on channel: Channel, direction: ConnectionDirection) { received.append(PeerMessage(from: peer, bytes: bytes)) }
    func channelWritable(_ channel: Channel, peer: PeerID, direction: ConnectionDirection) {}
}

final class PeerPipelineTests: XCTestCase {
    let validators = TestValidators(count: 4)
    let limits = fastLimits()

    /// An active EmbeddedChannel with the real pipeline of `index` in `direction`.
    func endpoint(_ index: Int, _ direction: ConnectionDirection, expecting peer: PeerID? = nil, identity: NetworkIdentity? = nil) throws -> (EmbeddedChannel, RecordingDelegate) {
        let channel = EmbeddedChannel()
        let delegate = RecordingDelegate()
        let initializer = PeerChannelInitializer(
            identity: identity ?? validators.identity(index, limits: limits), limits: limits,
            logger: testLogger("pipeline"), delegate: delegate)
        try initializer.configure(channel, direction: direction, expectedPeer: peer).wait()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return (channel, delegate)
    }

    /// Moves written bytes from each channel to the other until both are quiet.
    func shuttle(_ a: EmbeddedChannel, _ b: EmbeddedChannel) throws {
        var moved = true
        while moved {
            moved = false
            for (from, to) in [(a, b), (b, a)] {
                while let bytes = try from.readOutbound(as: ByteBuffer.self) {
                    moved = true
                    if to.isActive { try to.writeInbound(bytes) }
                }
            }
        }
    }

    /// Two connected, authenticated endpoints: `a` (validator 0) dialled `b` (validator 1).
    func establishedPair() throws -> (EmbeddedChannel, RecordingDelegate, EmbeddedChannel, RecordingDelegate) {
        let (a, da) = try endpoint(0, .outbound, expecting: PeerID(1))
        let (b, db) = try endpoint(1, .inbound)
        try shuttle(a, b)
        XCTAssertEqual(da.established.map(\.0), [PeerID(1)])
        XCTAssertEqual(db.established.map(\.0), [PeerID(0)])
        return (a, da, b, db)
    }

    func testHandshakeThenPayloadsFlowFromDialerToListener() throws {
        let (a, _, b, db) = try establishedPair()
        try a.writeAndFlush(OutboundFrame.payload([1, 2, 3])).wait()
        try a.writeAndFlush(OutboundFrame.payload([])).wait()
        try shuttle(a, b)
        XCTAssertEqual(db.received, [PeerMessage(from: PeerID(0), bytes: [1, 2, 3]), PeerMessage(from: PeerID(0), bytes: [])])
        XCTAssertTrue(a.isActive && b.isActive)
    }

    func testTamperedFrameClosesTheConnection() throws {
        let (a, _, b, db) = try establishedPair()
        try a.writeAndFlush(OutboundFrame.payload(Array("commit".utf8))).wait()
        var frame = try XCTUnwrap(a.readOutbound(as: ByteBuffer.self))
        let index = frame.readerIndex + 6
        frame.setInteger(frame.getInteger(at: index, as: UInt8.self)! ^ 0x01, at: index)
        try b.writeInbound(frame)
        XCTAssertEqual(db.frameFailures, [.frameAuthenticationFailed])
        XCTAssertTrue(db.received.isEmpty)
        XCTAssertFalse(b.isActive)
    }

    func testOversizedFrameAfterHandshakeClosesTheConnection() throws {
        let (_, _, b, db) = try establishedPair()
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(limits.maxFrameBytes + 1))
        try b.writeInbound(prefix)
        XCTAssertEqual(db.frameFailures, [.frameTooLarge(length: limits.maxFrameBytes + 1, limit: limits.maxFrameBytes)])
        XCTAssertFalse(b.isActive)
    }

    func testOversizedHandshakeFrameIsRefused() throws {
        let (b, db) = try endpoint(1, .inbound)
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(limits.maxHandshakeMessageBytes + 1))
        try b.writeInbound(prefix)
        XCTAssertEqual(db.handshakeFailures, [.oversizedMessage(bytes: limits.maxHandshakeMessageBytes + 1, limit: limits.maxHandshakeMessageBytes)])
        XCTAssertFalse(b.isActive)
    }

    func testGarbageHandshakeIsRefused() throws {
        let (b, db) = try endpoint(1, .inbound)
        try b.writeInbound(ByteBuffer(bytes: [0, 0, 0, 5, 0xDE, 0xAD, 0xBE, 0xEF, 0x00]))
        guard case .malformedMessage? = db.handshakeFailures.first else { return XCTFail("got \(db.handshakeFailures)") }
        XCTAssertFalse(b.isActive)
        XCTAssertTrue(db.established.isEmpty)
    }

    func testHandshakeTimesOut() throws {
        let (b, db) = try endpoint(1, .inbound)
        (b.eventLoop as! EmbeddedEventLoop).advanceTime(by: limits.handshakeTimeout)
        XCTAssertEqual(db.handshakeFailures, [.timedOut(milliseconds: limits.handshakeTimeout.nanoseconds / 1_000_000)])
        XCTAssertFalse(b.isActive)
    }

    func testSilentPeerIsCutOffAfterReadIdleTimeout() throws {
        let (a, da, b, _) = try establishedPair()
        _ = b
        (a.eventLoop as! EmbeddedEventLoop).advanceTime(by: limits.readIdleTimeout + .milliseconds(1))
        XCTAssertEqual(da.frameFailures, [.readTimeout(milliseconds: limits.readIdleTimeout.nanoseconds / 1_000_000)])
        XCTAssertFalse(a.isActive)
    }

    func testKeepalivesKeepAnIdleConnectionOpen() throws {
        let (a, da, b, db) = try establishedPair()
        let loopA = a.eventLoop as! EmbeddedEventLoop
        let loopB = b.eventLoop as! EmbeddedEventLoop
        for _ in 0..<20 {  // 20 × 300 ms = 6 s of silence from the application, past the 4 s read-idle timeout
            loopA.advanceTime(by: .milliseconds(300))
            loopB.advanceTime(by: .milliseconds(300))
            try shuttle(a, b)
        }
        XCTAssertTrue(a.isActive && b.isActive)
        XCTAssertTrue(da.frameFailures.isEmpty && db.frameFailures.isEmpty)
        XCTAssertTrue(db.received.isEmpty, "keep-alives are not delivered as payloads")
    }

    func testPayloadOnOutboundConnectionIsAProtocolViolation() throws {
        let (a, da, b, _) = try establishedPair()
        try b.writeAndFlush(OutboundFrame.payload([6, 6, 6])).wait()
        try shuttle(a, b)
        XCTAssertEqual(da.frameFailures, [.unexpectedPayload])
        XCTAssertTrue(da.received.isEmpty)
        XCTAssertFalse(a.isActive)
    }

    func testWrongChainPeerIsRefusedByTheListener() throws {
        let wrongChain = try NetworkIdentity(
            chainID: "other", genesisHash: validators.genesisHash, localID: PeerID(0),
            signingKey: validators.keys[PeerID(0)]!, validators: validators.table)
        let (a, _) = try endpoint(0, .outbound, expecting: PeerID(1), identity: wrongChain)
        let (b, db) = try endpoint(1, .inbound)
        try shuttle(a, b)
        XCTAssertEqual(db.handshakeFailures, [.chainMismatch(ours: "test-chain", theirs: "other")])
        XCTAssertTrue(db.established.isEmpty)
        XCTAssertFalse(b.isActive)
    }
}
