// Runs real PeerNetworks on 127.0.0.1 with ephemeral ports: four validators exchange messages both ways, a restarted peer is reconnected, and hostile connections are refused while honest traffic continues.
import LedgerCrypto
import NIOCore
import NIOPosix
@testable import P2P
import TestSupport
import XCTest

final class PeerNetworkLoopbackTests: XCTestCase {
    let validators = TestValidators(count: 4)
    let limits = fastLimits()

    /// Starts one network per validator and dials everyone; returns them with their addresses.
    func startCluster(_ count: Int = 4) async throws -> ([PeerNetwork], [PeerID: PeerAddress]) {
        var networks: [PeerNetwork] = []
        var addresses: [PeerID: PeerAddress] = [:]
        for i in 0..<count {
            let network = try PeerNetwork(
                identity: validators.identity(i, limits: limits), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
                limits: limits, logger: testLogger("r\(i)"))
            addresses[PeerID(i)] = try await network.start()
            networks.append(network)
        }
        for network in networks { try network.connect(to: addresses) }
        return (networks, addresses)
    }

    func waitFullyConnected(_ networks: [PeerNetwork], file: StaticString = #filePath, line: UInt = #line) async throws {
        let others = networks.count - 1
        try await waitUntil("every validator connected both ways to every other", file: file, line: line) {
            networks.allSatisfy { $0.metrics.connectedOutbound.count == others && $0.metrics.connectedInbound.count == others }
        }
    }

    func message(_ from: Int, _ to: Int, _ tag: String) -> [UInt8] { Array("\(tag) from r\(from) to r\(to)".utf8) }

    func testFourValidatorsExchangeMessagesInBothDirections() async throws {
        let (networks, _) = try await startCluster()
        let inboxes = networks.map { Inbox.draining($0) }
        try await waitFullyConnected(networks)

        for round in ["first", "second"] {
            for (i, network) in networks.enumerated() {
                for j in networks.indices where j != i {
                    XCTAssertTrue(network.send(message(i, j, round), to: PeerID(j)))
                }
            }
        }
        for (j, inbox) in inboxes.enumerated() {
            try await waitUntil("r\(j) received everything") {
                var all = true
                for i in networks.indices where i != j {
                    for round in ["first", "second"] {
                        if await !inbox.contains(PeerMessage(from: PeerID(i), bytes: message(i, j, round))) { all = false }
                    }
                }
                return all
            }
        }
        // Per-peer order is preserved: "first" before "second" from each sender.
        let atZero = await inboxes[0].messages.filter { $0.from == PeerID(1) }.map(\.bytes)
        XCTAssertEqual(atZero, [message(1, 0, "first"), message(1, 0, "second")])
        let metrics = networks[0].metrics
        XCTAssertEqual(metrics.framesOut, 6)
        XCTAssertEqual(metrics.framesIn, 6)
        XCTAssertEqual(metrics.totalHandshakeFailures, 0)
        XCTAssertFalse(networks[0].send(message(0, 0, "self"), to: PeerID(0)), "no link to ourselves")
        XCTAssertFalse(networks[0].send([UInt8](repeating: 0, count: limits.maxPayloadBytes + 1), to: PeerID(1)))
        XCTAssertEqual(networks[0].metrics.sendsRefused, 2)
        for network in networks { await network.shutdown() }
    }

    func testRestartedPeerIsReconnected() async throws {
        let (networks, addresses) = try await startCluster(2)
        let inboxZero = Inbox.draining(networks[0])
        try await waitFullyConnected(networks)
        let attemptsBefore = networks[0].metrics.connectAttempts

        await networks[1].shutdown()
        try await waitUntil("r0 notices r1 is gone") {
            !networks[0].metrics.connectedOutbound.contains(PeerID(1))
        }

        // r1 comes back on the same port with the same identity.
        let restarted = try PeerNetwork(
            identity: validators.identity(1, limits: limits), listenAddress: addresses[PeerID(1)]!,
            limits: limits, logger: testLogger("r1-restarted"))
        _ = try await restarted.start()
        try restarted.connect(to: addresses)
        let inboxOne = Inbox.draining(restarted)

        // PBFT re-sends until acknowledged; the test does the same until each side hears the other.
        let toOne = message(0, 1, "after restart")
        let toZero = message(1, 0, "after restart")
        try await waitUntil("traffic flows both ways after the restart") {
            networks[0].send(toOne, to: PeerID(1))
            restarted.send(toZero, to: PeerID(0))
            let heardOne = await inboxOne.contains(PeerMessage(from: PeerID(0), bytes: toOne))
            let heardZero = await inboxZero.contains(PeerMessage(from: PeerID(1), bytes: toZero))
            return heardOne && heardZero
        }
        XCTAssertGreaterThan(networks[0].metrics.connectAttempts, attemptsBefore)
        XCTAssertEqual(networks[0].metrics.connectedInbound, [PeerID(1)])
        await restarted.shutdown()
        await networks[0].shutdown()
    }

    /// Sends to r1 while it is down, for `outage`, then brings r1 up on the port it had and
    /// returns what it received from r0 once a message sent after the restart has arrived, and r0.
    func receivedAfterOutage(retention: TimeAmount, outage: Duration, sendingLate: Bool = true) async throws -> ([[UInt8]], PeerNetwork) {
        var limits = self.limits
        limits.disconnectedQueueRetention = retention
        let probe = try PeerNetwork(
            identity: validators.identity(1, limits: limits), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: limits, logger: testLogger("r1-probe"))
        let address = try await probe.start()
        await probe.shutdown()
        let zero = try PeerNetwork(
            identity: validators.identity(0, limits: limits), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: limits, logger: testLogger("r0"))
        let zeroAddress = try await zero.start()
        try zero.connect(to: [PeerID(1): address])
        XCTAssertTrue(zero.send(message(0, 1, "early"), to: PeerID(1)))
        try await Task.sleep(for: outage)  // the scenario itself: r1 stays down this long (not a wait for anything)
        if sendingLate { XCTAssertTrue(zero.send(message(0, 1, "late"), to: PeerID(1))) }
        let one = try PeerNetwork(
            identity: validators.identity(1, limits: limits), listenAddress: address,
            limits: limits, logger: testLogger("r1"))
        _ = try await one.start()
        try one.connect(to: [PeerID(0): zeroAddress])
        let inbox = Inbox.draining(one)
        // Nothing more is sent until the link is up, so what arrives was queued during the outage.
        try await waitUntil("r0's link to r1 is up") { zero.metrics.connectedOutbound.contains(PeerID(1)) }
        let after = message(0, 1, "after")
        try await waitUntil("r1 hears r0 once it is up") {
            zero.send(after, to: PeerID(1))
            return await inbox.contains(PeerMessage(from: PeerID(0), bytes: after))
        }
        let received = await inbox.messages.map(\.bytes).filter { $0 != after }
        await one.shutdown()
        return (received, zero)
    }

    func testABriefOutageLosesNothingQueued() async throws {
        let (received, zero) = try await receivedAfterOutage(retention: .seconds(30), outage: .milliseconds(100))
        XCTAssertEqual(received, [message(0, 1, "early"), message(0, 1, "late")])
        XCTAssertEqual(zero.metrics.droppedWhilePeerDown, 0)
        await zero.shutdown()
    }

    func testWhatIsQueuedForAPeerDownPastTheRetentionIsDropped() async throws {
        // "late" is sent after the outage outlasted the retention: it and the queued "early" go.
        let (received, zero) = try await receivedAfterOutage(retention: .milliseconds(200), outage: .milliseconds(500))
        XCTAssertEqual(received, [])
        // "early", "late", and any "after" sent before the connection was up.
        XCTAssertGreaterThanOrEqual(zero.metrics.droppedWhilePeerDown, 2)
        await zero.shutdown()
    }

    func testWhatIsQueuedForAPeerDownPastTheRetentionIsDroppedWhenItComesBack() async throws {
        // Nothing is sent after the outage outlasted the retention: the queued "early" is dropped
        // when the connection is made, not flushed to the peer.
        let (received, zero) = try await receivedAfterOutage(
            retention: .milliseconds(200), outage: .milliseconds(500), sendingLate: false)
        XCTAssertEqual(received, [])
        XCTAssertGreaterThanOrEqual(zero.metrics.droppedWhilePeerDown, 1)
        await zero.shutdown()
    }

    /// Opens a raw TCP connection to `address` and writes `bytes` (if any); returns the channel.
    func rawConnection(to address: PeerAddress, group: EventLoopGroup, writing bytes: [UInt8]) async throws -> Channel {
        let channel = try await ClientBootstrap(group: group).connect(host: address.host, port: address.port).get()
        if !bytes.isEmpty { try await channel.writeAndFlush(ByteBuffer(bytes: bytes)) }
        return channel
    }

    /// Dials `address` with the real pipeline of a (possibly hostile) identity.
    func handshakeConnection(to address: PeerAddress, group: EventLoopGroup, as identity: NetworkIdentity, expecting peer: PeerID) async throws -> Channel {
        let initializer = PeerChannelInitializer(identity: identity, limits: limits, logger: testLogger("attacker"), delegate: nil)
        return try await ClientBootstrap(group: group)
            .channelInitializer { initializer.configure($0, direction: .outbound, expectedPeer: peer) }
            .connect(host: address.host, port: address.port).get()
    }

    func testHostileConnectionsAreRefusedWhileHonestPeersKeepTalking() async throws {
        let (networks, addresses) = try await startCluster()
        let inboxes = networks.map { Inbox.draining($0) }
        try await waitFullyConnected(networks)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let target = addresses[PeerID(0)]!

        let stranger = SigningKey.generate()
        var strangerTable = validators.table
        strangerTable[PeerID(2)] = stranger.publicKey
        strangerTable[PeerID(9)] = stranger.publicKey
        let wrongChain = try NetworkIdentity(
            chainID: "evil-chain", genesisHash: validators.genesisHash, localID: PeerID(3),
            signingKey: validators.keys[PeerID(3)]!, validators: validators.table)
        let wrongKey = try NetworkIdentity(
            chainID: validators.chainID, genesisHash: validators.genesisHash, localID: PeerID(2),
            signingKey: stranger, validators: strangerTable)
        let unknownID = try NetworkIdentity(
            chainID: validators.chainID, genesisHash: validators.genesisHash, localID: PeerID(9),
            signingKey: stranger, validators: strangerTable)

        var attackers: [Channel] = []
        attackers.append(try await rawConnection(to: target, group: group, writing: [0, 0, 0, 8] + Array("GET / HT".utf8)))
        attackers.append(try await rawConnection(to: target, group: group, writing: [0x7F, 0xFF, 0xFF, 0xFF]))
        attackers.append(try await handshakeConnection(to: target, group: group, as: wrongChain, expecting: PeerID(0)))
        attackers.append(try await handshakeConnection(to: target, group: group, as: wrongKey, expecting: PeerID(0)))
        attackers.append(try await handshakeConnection(to: target, group: group, as: unknownID, expecting: PeerID(0)))

        try await waitUntil("r0 closed every hostile connection") { attackers.allSatisfy { !$0.isActive } }
        let failures = networks[0].metrics.handshakeFailures
        XCTAssertEqual(failures["malformed"], 1, "\(failures)")
        XCTAssertEqual(failures["oversized"], 1, "\(failures)")
        XCTAssertEqual(failures["chain"], 1, "\(failures)")
        XCTAssertEqual(failures["wrong_key"], 1, "\(failures)")
        XCTAssertEqual(failures["unknown_validator"], 1, "\(failures)")
        XCTAssertEqual(networks[0].metrics.connectedInbound, [PeerID(1), PeerID(2), PeerID(3)], "the genuine r2 and r3 stay connected")

        // Honest traffic still flows, including to and from the attacked node.
        for (i, network) in networks.enumerated() {
            for j in networks.indices where j != i { network.send(message(i, j, "after attack"), to: PeerID(j)) }
        }
        for (j, inbox) in inboxes.enumerated() {
            try await waitUntil("r\(j) received the post-attack round") {
                var all = true
                for i in networks.indices where i != j {
                    if await !inbox.contains(PeerMessage(from: PeerID(i), bytes: message(i, j, "after attack"))) { all = false }
                }
                return all
            }
        }
        try await group.shutdownGracefully()
        for network in networks { await network.shutdown() }
    }

    func testSendQueueDropsOldestWhilePeerIsUnreachable() async throws {
        var small = limits
        small.sendQueueCapacity = 3
        small.sendQueueMaxBytes = small.maxPayloadBytes
        let lonely = try PeerNetwork(
            identity: validators.identity(0, limits: small), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: small, logger: testLogger("lonely"))
        _ = try await lonely.start()
        // Port 1 on loopback refuses connections, so nothing ever leaves the queue.
        try lonely.connect(to: [PeerID(1): PeerAddress(host: "127.0.0.1", port: 1)])
        for k in 0..<10 { XCTAssertTrue(lonely.send([UInt8(k)], to: PeerID(1))) }
        try await waitUntil("seven of ten payloads dropped from a 3-slot queue") { lonely.metrics.sendQueueDrops == 7 }
        XCTAssertEqual(lonely.metrics.framesOut, 0)
        await lonely.shutdown()
        XCTAssertFalse(lonely.send([1], to: PeerID(1)), "send after shutdown is refused")
    }

    /// Opens a raw TCP connection from the loopback address `source` (127.0.0.x all reach 127.0.0.1 on Linux).
    func rawConnection(from source: String, to address: PeerAddress, group: EventLoopGroup) async throws -> Channel {
        try await ClientBootstrap(group: group).bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connect(host: address.host, port: address.port).get()
    }

    func testUnauthenticatedConnectionsAreCappedPerAddressBeforeTheHandshake() async throws {
        var capped = limits
        capped.maxUnauthenticatedPerAddress = 3  // = validators − 1, the floor
        let log = LogCapture()
        let target = try PeerNetwork(
            identity: validators.identity(0, limits: capped), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: capped, logger: log.logger(label: "capped"))
        let address = try await target.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var idle: [Channel] = []
        for _ in 0..<6 { idle.append(try await rawConnection(from: "127.0.0.2", to: address, group: group)) }
        try await waitUntil("three of six silent connections from one address refused") {
            target.metrics.inboundRefusals["too_many_from_address", default: 0] == 3 && idle.filter(\.isActive).count == 3
        }
        // Another address is not affected: its connection reaches the handshake (garbage makes it fail as "malformed").
        let other = try await rawConnection(from: "127.0.0.3", to: address, group: group)
        try await other.writeAndFlush(ByteBuffer(bytes: [0, 0, 0, 8] + Array("GET / HT".utf8)))
        try await waitUntil("the other address reaches the handshake") { target.metrics.handshakeFailures["malformed", default: 0] == 1 }
        // Closed connections free their address's slots.
        for channel in idle { try? await channel.close() }
        try await waitUntil("slots are released") { target.metrics.handshakeFailures["closed", default: 0] == 3 }
        let later = try await rawConnection(from: "127.0.0.2", to: address, group: group)
        try await later.writeAndFlush(ByteBuffer(bytes: [0, 0, 0, 8] + Array("GET / HT".utf8)))
        try await waitUntil("a fresh connection from the first address reaches the handshake") {
            target.metrics.handshakeFailures["malformed", default: 0] == 2
        }
        XCTAssertEqual(target.metrics.inboundRefused, 3)
        // Three refusals within the log interval: the first is logged at once, the other two only counted.
        let logged = log.lines("refusing inbound connections before the handshake")
        XCTAssertEqual(logged.count, 1, "\(logged.map(\.metadata))")
        XCTAssertEqual(logged.first?.metadata["refused_since_last_log"], "1")
        XCTAssertEqual(logged.first?.metadata["counts"], "too_many_from_address=1")
        try? await other.close()
        try? await later.close()
        try await group.shutdownGracefully()
        await target.shutdown()
    }

    func testHandshakeStartsAreRateLimitedPerAddress() async throws {
        var limited = limits
        limited.maxUnauthenticatedPerAddress = 50
        limited.handshakeBurstPerAddress = 6  // = 2 × (validators − 1), the floor
        limited.handshakesPerSecondPerAddress = 0.001
        let target = try PeerNetwork(
            identity: validators.identity(0, limits: limited), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: limited, logger: testLogger("limited"))
        let address = try await target.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var flood: [Channel] = []
        for _ in 0..<10 { flood.append(try await rawConnection(from: "127.0.0.4", to: address, group: group)) }
        try await waitUntil("four of ten handshakes past the burst of six refused") {
            target.metrics.inboundRefusals["rate_limited", default: 0] == 4 && flood.filter(\.isActive).count == 6
        }
        for channel in flood { try? await channel.close() }
        try await group.shutdownGracefully()
        await target.shutdown()
    }

    /// The attack measured on the testnet: strangers hold idle connections to a validator's P2P
    /// port while another validator (re)connects. The validator is never refused for them: the
    /// oldest stranger is evicted for it, and once authenticated it holds no stranger's slot.
    func testStrangersHoldingEveryHandshakeSlotCannotKeepAValidatorOut() async throws {
        var tight = limits
        tight.maxUnauthenticatedInbound = 4
        tight.handshakeTimeout = .seconds(3)
        tight.readIdleTimeout = .seconds(6)
        let target = try PeerNetwork(
            identity: validators.identity(0, limits: tight), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: tight, logger: testLogger("target"))
        let address = try await target.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var strangers: [Channel] = []
        for source in ["127.0.0.5", "127.0.0.6", "127.0.0.7"] {
            for _ in 0..<3 { strangers.append(try await rawConnection(from: source, to: address, group: group)) }
        }
        try await waitUntil("the oldest strangers are evicted for newer ones, four slots held by strangers") {
            target.metrics.inboundEvicted == 5 && strangers.filter(\.isActive).count == 4
        }

        let validator = try PeerNetwork(
            identity: validators.identity(1, limits: tight), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: tight, logger: testLogger("r1"))
        _ = try await validator.start()
        try validator.connect(to: [PeerID(0): address])
        try await waitUntil("validator 1 is connected to validator 0 despite the strangers") {
            target.metrics.connectedInbound.contains(PeerID(1))
        }
        XCTAssertEqual(target.metrics.inboundEvicted, 6, "one more stranger made room for the validator")
        for channel in strangers { try? await channel.close() }
        await validator.shutdown()
        try await group.shutdownGracefully()
        await target.shutdown()
    }

    /// A peer whose payloads wait unconsumed past the receive budget is read no further (TCP holds
    /// the rest back); once the application consumes, reading resumes and nothing was lost.
    func testAPeerOverItsReceiveBudgetIsReadNoFurtherAndLosesNothing() async throws {
        var small = limits
        small.maxPayloadBytes = 64 * 1024
        small.receiveBudgetBytesPerPeer = 256 * 1024
        small.sendQueueMaxBytes = 32 * 1024 * 1024
        let receiver = try PeerNetwork(
            identity: validators.identity(0, limits: small), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: small, logger: testLogger("receiver"))
        let sender = try PeerNetwork(
            identity: validators.identity(1, limits: small), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: small, logger: testLogger("sender"))
        let addresses = [PeerID(0): try await receiver.start(), PeerID(1): try await sender.start()]
        try receiver.connect(to: addresses)
        try sender.connect(to: addresses)
        try await waitUntil("the sender is connected to the receiver") { receiver.metrics.connectedInbound.contains(PeerID(1)) }

        let count = 400
        let payloadBytes = 32 * 1024
        for k in 0..<count {
            var payload = [UInt8](repeating: UInt8(truncatingIfNeeded: k), count: payloadBytes)
            payload[0] = UInt8(k >> 8); payload[1] = UInt8(truncatingIfNeeded: k)
            XCTAssertTrue(sender.send(payload, to: PeerID(0)))
        }
        // Read without consuming.
        let held = Inbox()
        let reader = Task { for await message in receiver.messages { await held.append(message) } }
        try await waitUntil("the receiver pauses its reads from the sender") { receiver.metrics.readPauses == 1 }
        let bound = small.receiveBudgetBytesPerPeer + P2PLimits.readBurstBytes + 2 * (small.maxPayloadBytes + 17)
        XCTAssertLessThanOrEqual(receiver.metrics.bytesIn, bound, "read past its budget")
        XCTAssertLessThanOrEqual(receiver.metrics.receivePendingBytes, bound)
        XCTAssertLessThan(receiver.metrics.framesIn, count, "everything was read: the pause did not hold")

        // Consume: reads resume, everything arrives in order, nothing dropped on either side.
        var consumedCount = 0
        try await waitUntil("all \(count) payloads arrive once the receiver consumes") {
            let messages = await held.messages
            while consumedCount < messages.count {
                receiver.consumed(messages[consumedCount])
                consumedCount += 1
            }
            return messages.count == count
        }
        let order = await held.messages.map { Int($0.bytes[0]) << 8 | Int($0.bytes[1]) }
        XCTAssertEqual(order, Array(0..<count))
        XCTAssertEqual(sender.metrics.sendQueueDrops, 0)
        XCTAssertEqual(receiver.metrics.receiveQueueDrops, 0)
        XCTAssertEqual(receiver.metrics.receivePendingBytes, 0)
        XCTAssertEqual(receiver.metrics.worstCaseBytes, 3 * small.worstCaseBytesPerPeer, "three other validators")
        reader.cancel()
        await sender.shutdown()
        await receiver.shutdown()
    }

    func testTooManyValidatorsAreRefused() throws {
        var small = limits
        small.maxValidators = 3
        XCTAssertThrowsError(try NetworkIdentity(
            chainID: validators.chainID, genesisHash: validators.genesisHash, localID: PeerID(0),
            signingKey: validators.keys[PeerID(0)]!, validators: validators.table, limits: small)) {
            XCTAssertTrue("\($0)".contains("more than the 3"), "\($0)")
        }
    }

    func testInvalidLimitsAreRejected() {
        var bad = P2PLimits()
        bad.keepaliveInterval = .seconds(60)
        XCTAssertThrowsError(try PeerNetwork(
            identity: validators.identity(0), listenAddress: PeerAddress(host: "127.0.0.1", port: 0),
            limits: bad, logger: testLogger("bad")))
    }
}
