// Drives a PeerNetwork's connection callbacks directly (EmbeddedChannels, no sockets) around a validator-set change: an
// inbound handshake checked under the replaced set is closed, and a payload from a connection that is no longer its
// peer's current one is dropped, not attributed to the id's holder.
import LedgerCrypto
import NIOCore
import NIOEmbedded
@testable import P2P
import XCTest

final class ValidatorSetChangeRaceTests: XCTestCase {
    let validators = TestValidators(count: 4)
    let limits = fastLimits()

    func connectedChannel() async throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        return channel
    }

    func testAnInboundHandshakeThatStraddledAChangeIsClosedAndOnlyTheCurrentConnectionIsHeard() async throws {
        let network = try PeerNetwork(
            identity: validators.identity(0, limits: limits), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: limits, logger: testLogger("r0"))
        _ = try await network.start()
        // Revision 1: r1 is re-keyed.
        var table = validators.table
        table[PeerID(1)] = SigningKey.generate().publicKey
        try network.replaceValidatorSet(table, localID: PeerID(0), addresses: [:])

        let straddled = try await connectedChannel()
        network.channelEstablished(straddled, peer: PeerID(1), direction: .inbound, identityRevision: 0)
        XCTAssertFalse(straddled.isActive, "authenticated under the replaced set: closed")
        XCTAssertEqual(network.metrics.closedBySetChange, 1)
        XCTAssertEqual(network.metrics.connectedInbound, [])

        let current = try await connectedChannel()
        network.channelEstablished(current, peer: PeerID(1), direction: .inbound, identityRevision: 1)
        XCTAssertTrue(current.isActive, "authenticated under the current set: kept")
        XCTAssertEqual(network.metrics.connectedInbound, [PeerID(1)])

        network.received([1], from: PeerID(1), on: straddled, direction: .inbound)
        XCTAssertEqual(network.metrics.staleConnectionDrops, 1, "a read still in flight on the closed connection is dropped")
        XCTAssertEqual(network.metrics.framesIn, 0)
        network.received([2], from: PeerID(1), on: current, direction: .inbound)
        XCTAssertEqual(network.metrics.framesIn, 1, "the current connection is heard")
        XCTAssertEqual(network.metrics.staleConnectionDrops, 1)
        await network.shutdown()
    }
}
