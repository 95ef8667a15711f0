// Real PeerNetworks on 127.0.0.1 switch validator sets without a restart (replaceValidatorSet): a fifth validator joins,
// one leaves (the ids above it shift down), one is re-keyed; links are re-made only where an (id, key) changed.
import LedgerCrypto
import NIOCore
import NIOPosix
@testable import P2P
import TestSupport
import XCTest

final class ValidatorSetChangeLoopbackTests: XCTestCase {
    let limits = fastLimits()
    let chainID = "test-chain"
    let genesisHash = Hash.blake2b256(Array("test genesis".utf8))
    /// Keys 0…5; a set lists some of them in order (its ids are their positions).
    let keys = (0..<6).map { try! SigningKey(seed: [UInt8](repeating: UInt8($0 + 1), count: 32)) }

    /// One running validator: its network, what it received, and where it listens.
    struct Member {
        let network: PeerNetwork
        let inbox: Inbox
        let address: PeerAddress
    }

    func table(_ set: [Int]) -> [PeerID: PublicKey] {
        Dictionary(uniqueKeysWithValues: set.enumerated().map { (PeerID($0.offset), keys[$0.element].publicKey) })
    }

    /// Starts the holder of `keys[key]` as validator `id` of `set` (not yet dialling).
    func startMember(key: Int, id: Int, set: [Int], fullNodes: FullNodePolicy = .refuseAll, log: LogCapture? = nil) async throws -> Member {
        let identity = try NetworkIdentity(
            chainID: chainID, genesisHash: genesisHash, localID: PeerID(id), signingKey: keys[key],
            validators: table(set), fullNodes: fullNodes, limits: limits)
        let network = try PeerNetwork(
            identity: identity, listenAddress: PeerAddress(host: "127.0.0.1", port: 0), limits: limits,
            logger: log?.logger(label: "k\(key)") ?? testLogger("k\(key)"))
        let address = try await network.start()
        return Member(network: network, inbox: Inbox.draining(network), address: address)
    }

    /// Starts the holders of `set` and connects them; returns them by key. `log` captures the first one's log.
    func startCluster(_ set: [Int], fullNodes: FullNodePolicy = .refuseAll, log: LogCapture? = nil) async throws -> [Int: Member] {
        var members: [Int: Member] = [:]
        for (id, key) in set.enumerated() {
            members[key] = try await startMember(key: key, id: id, set: set, fullNodes: fullNodes, log: id == 0 ? log : nil)
        }
        let addresses = self.addresses(set, members)
        for member in members.values { try member.network.connect(to: addresses) }
        try await waitConnected(set, members, "the first set")
        return members
    }

    func addresses(_ set: [Int], _ members: [Int: Member]) -> [PeerID: PeerAddress] {
        Dictionary(uniqueKeysWithValues: set.enumerated().map { (PeerID($0.offset), members[$0.element]!.address) })
    }

    /// Every member of `set` calls `replaceValidatorSet` with it, in the order of `set`, or of `order`.
    func switchAll(to set: [Int], _ members: [Int: Member], order: [Int]? = nil, rotated: [Int: SigningKey] = [:]) throws {
        let addresses = self.addresses(set, members)
        for key in order ?? set {
            try members[key]!.network.replaceValidatorSet(
                table(set), localID: PeerID(set.firstIndex(of: key)!), signingKey: rotated[key], addresses: addresses)
        }
    }

    func waitConnected(_ set: [Int], _ members: [Int: Member], _ what: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let others = Set(set.indices.map(PeerID.init))
        try await waitUntil("every member of \(what) \(set) connected both ways to every other under its id", file: file, line: line) {
            set.enumerated().allSatisfy { id, key in
                let metrics = members[key]!.network.metrics
                let expected = others.subtracting([PeerID(id)])
                return metrics.connectedOutbound == expected && metrics.connectedInbound.filter { !$0.isFullNode } == expected
            }
        }
    }

    /// `from` sends to `to` under their ids in `set` until `to` hears it under `from`'s id.
    func exchange(_ set: [Int], _ members: [Int: Member], _ from: Int, _ to: Int, file: StaticString = #filePath, line: UInt = #line) async throws {
        let (fromID, toID) = (PeerID(set.firstIndex(of: from)!), PeerID(set.firstIndex(of: to)!))
        let bytes = Array("from key \(from) to key \(to) in \(set)".utf8)
        let inbox = members[to]!.inbox
        try await waitUntil("key \(to) (\(toID)) hears key \(from) as \(fromID)", file: file, line: line) {
            members[from]!.network.send(bytes, to: toID)  // PBFT retransmits too; a send just before a close is lost
            return await inbox.contains(PeerMessage(from: fromID, bytes: bytes))
        }
    }

    func shutdown(_ members: [Int: Member]) async {
        for member in members.values { await member.network.shutdown() }
    }

    func testAFifthValidatorJoinsAndTheOldLinksStayUp() async throws {
        var members = try await startCluster([0, 1, 2, 3])
        members[4] = try await startMember(key: 4, id: 4, set: [0, 1, 2, 3, 4])
        let five = [0, 1, 2, 3, 4]
        try members[4]!.network.connect(to: addresses(five, members))
        try switchAll(to: five, members, order: [0, 1, 2, 3])
        try await waitConnected(five, members, "the new set")
        for (from, to) in [(4, 0), (0, 4), (4, 3), (2, 4)] { try await exchange(five, members, from, to) }
        for key in 0..<4 {
            let metrics = members[key]!.network.metrics
            let kept = (0..<4).filter { $0 != key }.map { metrics.outboundEstablished[PeerID($0)] ?? 0 }
            XCTAssertEqual(kept, [1, 1, 1], "key \(key) made each link to an old member once: none was re-made")
            XCTAssertEqual(metrics.closedBySetChange, 0, "key \(key) closed nothing")
            XCTAssertEqual(network(members, key).identity.validators.count, 5)
        }
        await shutdown(members)
    }

    func testARemovedValidatorIsCutOffAndTheShiftedOnesReconnectUnderTheirNewIDs() async throws {
        let five = [0, 1, 2, 3, 4]
        let log = LogCapture()
        let members = try await startCluster(five, log: log)
        let removed = members[1]!.network
        let wrongKeyBefore = network(members, 0).metrics.handshakeFailures["wrong_key"] ?? 0
        // Keys 2, 3, 4 move from ids 2, 3, 4 to 1, 2, 3; key 1 does not switch (it lags, or is gone).
        let four = [0, 2, 3, 4]
        try switchAll(to: four, members)
        try await waitConnected(four, members, "the set without key 1")
        try await waitUntil("every connection of the removed validator is closed") {
            removed.metrics.connectedOutbound.isEmpty && removed.metrics.connectedInbound.isEmpty
        }
        try await waitUntil("its redials as r1 are refused, again and again: id 1 now has key 2") {
            (self.network(members, 0).metrics.handshakeFailures["wrong_key"] ?? 0) >= wrongKeyBefore + 3
        }
        let refusalLines = log.lines.filter { $0.level == .warning && $0.message.hasPrefix("handshake refused") }
        XCTAssertEqual(refusalLines.count, 1, "the refusals are logged once per interval, with their count: \(refusalLines.map(\.message))")
        XCTAssertTrue(refusalLines.contains { $0.message.contains("not in the current validator set") || $0.message.contains("the current validator set holds") },
                      "the log says the peer is not in the current set: \(refusalLines.map(\.message))")
        let stale = Array("from the removed validator".utf8)
        for peer in 0..<5 where peer != 1 { removed.send(stale, to: PeerID(peer)) }
        // Sent after the stale payloads; once these have arrived, a stale one on a live link would have too.
        for (from, to) in [(0, 2), (2, 0), (2, 4), (4, 2), (3, 0)] { try await exchange(four, members, from, to) }
        for key in four {
            let heard = await members[key]!.inbox.messages.contains { $0.bytes == stale }
            XCTAssertFalse(heard, "key \(key) heard the removed validator after the change")
        }
        // It switches too, to a full node: validators serving no full nodes refuse it as one.
        let refusedBefore = network(members, 0).metrics.handshakeFailures["full_node_refused"] ?? 0
        try removed.replaceValidatorSet(
            table(four), localID: PeerID(fullNodeKey: keys[1].publicKey), addresses: addresses(four, members))
        XCTAssertTrue(removed.identity.isFullNode)
        try await waitUntil("r0 refuses the removed validator's dial as a full node") {
            (self.network(members, 0).metrics.handshakeFailures["full_node_refused"] ?? 0) > refusedBefore
        }
        await shutdown(members)
    }

    func testMembersThatSwitchLateAreRefusedUntilTheyDoAndThenReconnect() async throws {
        let five = [0, 1, 2, 3, 4]
        let members = try await startCluster(five)
        let four = [0, 2, 3, 4]
        try switchAll(to: four, members, order: [0, 2])
        let refusedBefore = network(members, 0).metrics.totalHandshakeFailures
        try await waitUntil("keys 0 and 2 keep refusing (and being refused by) keys 3 and 4, which have not switched") {
            self.network(members, 0).metrics.totalHandshakeFailures >= refusedBefore + 4
        }
        XCTAssertFalse(network(members, 0).metrics.connectedOutbound.contains(PeerID(2)), "r2 is key 3 now, not switched yet")
        try switchAll(to: four, members, order: [3, 4])
        try await waitConnected(four, members, "the set without key 1, switched late")
        for (from, to) in [(0, 4), (4, 0), (3, 2)] { try await exchange(four, members, from, to) }
        await shutdown(members)
    }

    func testARotatedKeyIsAcceptedAndTheOldOneRefused() async throws {
        let four = [0, 1, 2, 3]
        var members = try await startCluster(four)
        let rotatedKey = keys[5]
        // The rotation: key 0 becomes key 5 at id 0, on the same running network.
        members[5] = members[0]
        members[0] = nil
        let rotated = [5, 1, 2, 3]
        try switchAll(to: rotated, members, rotated: [5: rotatedKey])
        try await waitConnected(rotated, members, "the set with id 0 re-keyed")
        for (from, to) in [(5, 1), (1, 5), (3, 5)] { try await exchange(rotated, members, from, to) }
        for key in 1...3 {
            let metrics = members[key]!.network.metrics
            for other in (1...3) where other != key {
                XCTAssertEqual(metrics.outboundEstablished[PeerID(other)], 1, "key \(key)'s link to r\(other) was not re-made")
            }
            XCTAssertGreaterThanOrEqual(metrics.outboundEstablished[PeerID(0)] ?? 0, 2, "key \(key)'s link to r0 was re-made")
        }
        // Someone still holding the old key of r0 is refused.
        let wrongKeyBefore = network(members, 1).metrics.handshakeFailures["wrong_key"] ?? 0
        let impostor = try await startMember(key: 0, id: 0, set: four)
        try impostor.network.connect(to: [PeerID(1): members[1]!.address])
        try await waitUntil("r1 refuses r0's old key") {
            (self.network(members, 1).metrics.handshakeFailures["wrong_key"] ?? 0) > wrongKeyBefore
        }
        XCTAssertTrue(impostor.network.metrics.connectedOutbound.isEmpty, "the old key got no link")
        await impostor.network.shutdown()
        await shutdown(members)
    }

    func testAFullNodeThatJoinsTheSetStartsListeningAndIsDialledAsAValidator() async throws {
        let four = [0, 1, 2, 3]
        var members = try await startCluster(four, fullNodes: FullNodePolicy(maxConnected: 2))
        let fullID = PeerID(fullNodeKey: keys[4].publicKey)
        let joining = try PeerNetwork(
            identity: NetworkIdentity(
                chainID: chainID, genesisHash: genesisHash, localID: fullID, signingKey: keys[4], validators: table(four),
                limits: limits),
            listenAddress: PeerAddress(host: "127.0.0.1", port: 0), limits: limits, logger: testLogger("k4"))
        try joining.startDialOnly()
        try joining.connect(to: addresses(four, members))
        try await waitUntil("every validator serves key 4 as a full node") {
            four.allSatisfy { self.network(members, $0).metrics.connectedFullNodes == [fullID] }
        }
        // Its epoch begins: it switches (and listens) first, then the others.
        let five = [0, 1, 2, 3, 4]
        try joining.replaceValidatorSet(table(five), localID: PeerID(4), addresses: addresses(four, members))
        members[4] = Member(network: joining, inbox: Inbox.draining(joining), address: try await joining.start())
        try switchAll(to: five, members, order: four)
        try await waitConnected(five, members, "the set it joined")
        for (from, to) in [(4, 1), (1, 4), (0, 4)] { try await exchange(five, members, from, to) }
        for key in four {
            XCTAssertEqual(network(members, key).metrics.connectedFullNodes, [], "key \(key) no longer serves key 4 as a full node")
        }
        await shutdown(members)
    }

    func testARemovedValidatorThatSwitchesFollowsAsAFullNodeWhereFullNodesAreServed() async throws {
        let five = [0, 1, 2, 3, 4]
        let members = try await startCluster(five, fullNodes: FullNodePolicy(maxConnected: 2))
        let removed = members[1]!
        let four = [0, 2, 3, 4]
        let fullID = PeerID(fullNodeKey: keys[1].publicKey)
        try switchAll(to: four, members)
        try removed.network.replaceValidatorSet(table(four), localID: fullID, addresses: addresses(four, members))
        try await waitConnected(four, members, "the set without key 1")
        try await waitUntil("every member serves key 1 as a full node, and it dials each of them") {
            four.allSatisfy { self.network(members, $0).metrics.connectedFullNodes == [fullID] }
                && removed.network.metrics.connectedOutbound == Set((0..<4).map(PeerID.init))
        }
        XCTAssertEqual(removed.network.metrics.connectedInbound, [], "a full node takes no validator's connection")
        XCTAssertEqual(network(members, 0).broadcast(Array("vote".utf8)), 3, "a broadcast goes to the three other validators only")
        let block = Array("block for full nodes".utf8)
        XCTAssertEqual(network(members, 3).sendToFullNodes(block), 1)
        try await waitUntil("the full node hears key 3, now r2") {
            await removed.inbox.contains(PeerMessage(from: PeerID(2), bytes: block))
        }
        let refused = try await connectionRefused(to: removed.address)
        XCTAssertTrue(refused, "the node stopped listening when it left the set")
        await shutdown(members)
    }

    /// Whether a TCP connection to `address` is refused (nothing listens there).
    func connectionRefused(to address: PeerAddress) async throws -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: address.host, port: address.port).get()
            try? await channel.close()
            return false
        } catch {
            return true
        }
    }

    func network(_ members: [Int: Member], _ key: Int) -> PeerNetwork { members[key]!.network }
}
