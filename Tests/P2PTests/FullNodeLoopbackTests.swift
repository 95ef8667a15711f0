// Real PeerNetworks on 127.0.0.1: full nodes dial validators, get what validators send them over that one connection,
// never receive validator broadcasts, are capped per validator, and reconnect after the validator restarts.
import LedgerCrypto
import NIOCore
@testable import P2P
import TestSupport
import XCTest

final class FullNodeLoopbackTests: XCTestCase {
    let validators = TestValidators(count: 4)
    let limits = fastLimits()

    func validator(_ i: Int, maxFullNodes: Int) async throws -> (PeerNetwork, PeerAddress) {
        let network = try PeerNetwork(
            identity: validators.identity(i, limits: limits, fullNodes: FullNodePolicy(maxConnected: maxFullNodes)),
            listenAddress: PeerAddress(host: "127.0.0.1", port: 0), limits: limits, logger: testLogger("r\(i)"))
        return (network, try await network.start())
    }

    func fullNode(dialling addresses: [PeerID: PeerAddress]) throws -> (PeerNetwork, PeerID) {
        let key = SigningKey.generate()
        let network = try PeerNetwork(
            identity: validators.fullNode(key, limits: limits), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: limits, logger: testLogger("full"))
        try network.startDialOnly()
        try network.connect(to: addresses)
        return (network, PeerID(fullNodeKey: key.publicKey))
    }

    func testAFullNodeHearsWhatValidatorsSendItAndTheyHearIt() async throws {
        let (v0, a0) = try await validator(0, maxFullNodes: 2)
        let (v1, a1) = try await validator(1, maxFullNodes: 2)
        try v0.connect(to: [PeerID(1): a1])
        try v1.connect(to: [PeerID(0): a0])
        let (full, fullID) = try fullNode(dialling: [PeerID(0): a0, PeerID(1): a1])
        let atFull = Inbox.draining(full)
        let atV0 = Inbox.draining(v0)
        try await waitUntil("the full node is connected to both validators and they see it") {
            full.metrics.connectedOutbound == [PeerID(0), PeerID(1)]
                && v0.metrics.connectedFullNodes == [fullID] && v1.metrics.connectedFullNodes == [fullID]
                && v0.metrics.connectedOutbound == [PeerID(1)]
        }
        XCTAssertTrue(v0.hasFullNodes)
        XCTAssertEqual(v0.broadcast(Array("vote".utf8)), 1, "a broadcast reaches validators only")
        XCTAssertEqual(v0.sendToFullNodes(Array("block 1".utf8)), 1)
        XCTAssertEqual(v1.sendToFullNodes(Array("block 1 again".utf8)), 1)
        XCTAssertTrue(full.send(Array("relay tx".utf8), to: PeerID(0)))
        try await waitUntil("the full node got both blocks and r0 got its relay") {
            let got = await atFull.contains(PeerMessage(from: PeerID(0), bytes: Array("block 1".utf8)))
            let again = await atFull.contains(PeerMessage(from: PeerID(1), bytes: Array("block 1 again".utf8)))
            let relay = await atV0.contains(PeerMessage(from: fullID, bytes: Array("relay tx".utf8)))
            return got && again && relay
        }
        let votes = await atFull.messages.filter { $0.bytes == Array("vote".utf8) }
        XCTAssertEqual(votes.count, 0, "the full node never gets a validator broadcast")
        // The validator restarts: the full node dials it again and it can send again.
        await v0.shutdown()
        let (v0again, a0again) = try await validator(0, maxFullNodes: 2)
        try full.connect(to: [PeerID(0): a0again])
        try await waitUntil("the full node is back on the restarted validator") { v0again.metrics.connectedFullNodes == [fullID] }
        let atFullAfter = atFull
        XCTAssertEqual(v0again.sendToFullNodes(Array("block 2".utf8)), 1)
        try await waitUntil("block 2 arrived") { await atFullAfter.contains(PeerMessage(from: PeerID(0), bytes: Array("block 2".utf8))) }
        for n in [v0again, v1, full] { await n.shutdown() }
    }

    func testAValidatorServesAtMostItsFullNodeCap() async throws {
        let (v0, a0) = try await validator(0, maxFullNodes: 1)
        let (first, firstID) = try fullNode(dialling: [PeerID(0): a0])
        try await waitUntil("the first full node is served") { v0.metrics.connectedFullNodes == [firstID] }
        let (second, secondID) = try fullNode(dialling: [PeerID(0): a0])
        try await waitUntil("the second is refused for the cap") { v0.metrics.fullNodesRefusedFull >= 1 }
        XCTAssertEqual(v0.metrics.connectedFullNodes, [firstID], "the served one keeps its place")
        XCTAssertEqual(v0.sendToFullNodes([1]), 1)
        // Gone, its place is free again: the second gets in on a redial. (Waiting to see the set empty first raced
        // the redial: the second may take the place between two polls.)
        await first.shutdown()
        try await waitUntil("the second full node takes the freed place") { v0.metrics.connectedFullNodes == [secondID] }
        for n in [v0, second] { await n.shutdown() }
    }
}
