import LedgerCrypto
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Dispatch

/// The validator-to-validator transport: authenticated, encrypted TCP connections to every
/// other validator in the current validator set (the genesis set until `replaceValidatorSet`).
///
/// - Listens on `listenAddress`; each validator that dials us and passes the handshake
///   becomes an *inbound* connection, which only ever carries that peer's sends to us.
/// - Keeps one *outbound* connection to every other validator, used for all our sends,
///   redialled with capped exponential back-off and jitter when it drops. Each pair of
///   validators therefore has two connections, one per direction, and no duplicate races.
/// - `send` queues on a bounded per-peer queue (oldest dropped and counted when full) and
///   never blocks; received payloads arrive on `messages`.
///
/// Full nodes (`NetworkIdentity.isFullNode`) listen nowhere: they dial every validator and
/// receive the validators' answers and committed blocks over those connections. A validator
/// accepts up to `FullNodePolicy.maxConnected` of them and sends to each over the connection it
/// dialled (a link that does not dial); `broadcast` reaches validators only, `sendToFullNodes` the
/// full nodes.
///
/// Call `start()`, then `connect(to:)` with the other validators' addresses; call
/// `shutdown()` before dropping the network. At an epoch boundary `replaceValidatorSet` switches the
/// running network to the next validator set.
public final class PeerNetwork: Sendable {
    /// Who we are and whom we accept now (`replaceValidatorSet` changes it).
    public var identity: NetworkIdentity { state.withLock { $0.identity } }
    /// The bounds and timeouts in force.
    public let limits: P2PLimits
    /// Payloads received from authenticated peers, in arrival order per peer. Finishes on shutdown.
    /// The consumer must call `consumed(_:)` for each once it is done with it: a peer with more
    /// than its receive budget unconsumed is read no further.
    public let messages: AsyncStream<PeerMessage>

    private let continuation: AsyncStream<PeerMessage>.Continuation
    private let listenAddress: PeerAddress
    let group: EventLoopGroup
    private let ownsGroup: Bool
    /// The logger, tagged with our current id (`replaceValidatorSet` may change it). Its own lock, never taken
    /// inside `state`'s.
    let loggerBox: Mutex<Logger>
    let counters = NetworkCounters()
    let state: Mutex<State>

    /// The logger tagged with our current id.
    var logger: Logger { loggerBox.withLock { $0 } }

    struct State: Sendable {
        /// Who we are and whom we accept; `identityRevision` counts its replacements.
        var identity: NetworkIdentity
        var identityRevision: UInt64 = 0
        var phase = Phase.created
        var server: Channel?
        var links: [PeerID: OutboundLink] = [:]
        var inbound: [PeerID: Channel] = [:]
        var admission: InboundAdmission
        /// Unauthenticated inbound connections by admission id (to evict them), and back.
        var unauthenticated: [InboundAdmission.ConnectionID: Channel] = [:]
        var admissionIDs: [ObjectIdentifier: InboundAdmission.ConnectionID] = [:]
        /// Per peer: payloads received and not yet consumed, and whether its reads are paused.
        var intake: [PeerID: Intake] = [:]
        /// The read gate of each peer's current inbound connection.
        var gates: [PeerID: NIOLoopBound<ReadGate>] = [:]
        /// Inbound refusals, logged at once and then at most every `refusalLogIntervalMs` with the count in between.
        var refusalLog = LogThrottle(intervalMs: PeerNetwork.refusalLogIntervalMs)
        /// Refused handshakes (both directions), throttled the same way: while the two ends of a link switch
        /// validator sets at different instants, each redial is refused until both have switched.
        var handshakeRefusalLog = LogThrottle(intervalMs: PeerNetwork.refusalLogIntervalMs)
    }

    enum Phase: Sendable { case created, running, shutDown }

    /// Shortest pause between two log lines about refused inbound connections, ms (the ones in between are counted).
    static let refusalLogIntervalMs: Int64 = 10_000

    struct Intake: Sendable {
        var bytes = 0
        var count = 0
        var paused = false
    }

    /// Creates a stopped network. `group` defaults to a private `limits.eventLoopThreads`-thread event loop group
    /// (shut down by `shutdown()`); pass the node's group to share threads.
    public init(
        identity: NetworkIdentity, listenAddress: PeerAddress, limits: P2PLimits = .standard,
        group: EventLoopGroup? = nil, logger: Logger
    ) throws(TransportError) {
        if let problem = limits.problems.first { throw .invalidConfiguration(problem) }
        guard identity.validators.count <= limits.maxValidators else {
            throw .invalidConfiguration("\(identity.validators.count) validators, more than the \(limits.maxValidators) this transport serves")
        }
        state = Mutex(State(identity: identity, admission: InboundAdmission(limits: limits, validatorCount: identity.validators.count)))
        self.listenAddress = listenAddress
        self.limits = limits
        if let group {
            self.group = group
            ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: limits.eventLoopThreads)
            ownsGroup = true
        }
        var logger = logger
        logger[metadataKey: "replica"] = "\(identity.localID)"
        loggerBox = Mutex(logger)
        // Unbounded here because each peer is bounded by its receive budget (see `consumed`).
        (messages, continuation) = AsyncStream.makeStream(of: PeerMessage.self, bufferingPolicy: .unbounded)
    }

    /// A snapshot of the counters.
    public var metrics: PeerNetworkMetrics {
        var snapshot = counters.snapshot
        snapshot.receivePendingBytes = state.withLock { $0.intake.values.reduce(0) { $0 + $1.bytes } }
        snapshot.worstCaseBytes = limits.worstCaseBytesPerPeer * max(0, identity.validators.count - 1)
        return snapshot
    }

    /// Builds connections under the identity in force when each opens.
    func makeInitializer() -> PeerChannelInitializer {
        PeerChannelInitializer(limits: limits, logger: logger, delegate: self) {
            self.state.withLock { ($0.identity, $0.identityRevision) }
        }
    }

    /// Starts a full node's network: no listening socket, only the dials `connect(to:)` makes.
    public func startDialOnly() throws(TransportError) {
        let started: Bool = state.withLock {
            guard $0.phase == .created else { return false }
            $0.phase = .running
            return true
        }
        guard started else { throw .notRunning }
        logger.info("dialling validators only (full node)")
    }

    /// Binds the listening socket and returns the bound address (its real port when 0 was asked). A running
    /// dial-only network may call it once it has become a validator (`replaceValidatorSet`), to take validators' dials.
    public func start() async throws -> PeerAddress {
        let initializer = makeInitializer()
        let logger = self.logger
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Fixed read sizes, so what one read burst can add past a receive-budget pause is known.
            .childChannelOption(.maxMessagesPerRead, value: UInt(P2PLimits.readsPerTurn))
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(
                minimum: 64, initial: 2048, maximum: P2PLimits.readChunkBytes))
            .childChannelInitializer { [self] channel in
                // Admission comes before any handshake work: no key is generated for a refused connection.
                guard let id = admitInbound(channel) else { return channel.close() }
                channel.closeFuture.whenComplete { _ in self.releaseInbound(id, channel) }
                return initializer.configure(channel, direction: .inbound, expectedPeer: nil)
            }
            .bind(host: listenAddress.host, port: listenAddress.port)
            .get()
        let accepted: Bool = state.withLock {
            let dialOnly = $0.phase == .running && $0.server == nil && !$0.identity.isFullNode
            guard $0.phase == .created || dialOnly else { return false }
            $0.phase = .running
            $0.server = server
            return true
        }
        guard accepted else {
            try? await server.close()
            throw TransportError.notRunning
        }
        let port = server.localAddress?.port ?? listenAddress.port
        logger.info("listening", metadata: ["address": "\(listenAddress.host):\(port)"])
        return PeerAddress(host: listenAddress.host, port: port)
    }

    /// Dials every listed validator other than us (unknown ids are ignored with a warning)
    /// and keeps the connections up. Calling it again updates addresses and dials new peers.
    public func connect(to peers: [PeerID: PeerAddress]) throws(TransportError) {
        let initializer = makeInitializer()
        let logger = self.logger
        let started: ([OutboundLink], [PeerID])? = state.withLock { state in
            guard state.phase == .running else { return nil }
            return addLinks(to: peers, in: &state, initializer: initializer, logger: logger)
        }
        guard let (fresh, unknown) = started else { throw .notRunning }
        for peer in unknown { logger.warning("ignoring address of unknown validator \(peer)") }
        for link in fresh { link.start() }
    }

    /// Gives every validator of `peers` in the current set other than us a dialling link (a known one gets the
    /// address); returns the new links, to start outside the lock, and the ids not in the set.
    func addLinks(
        to peers: [PeerID: PeerAddress], in state: inout State, initializer: PeerChannelInitializer, logger: Logger
    ) -> (fresh: [OutboundLink], unknown: [PeerID]) {
        var fresh: [OutboundLink] = []
        var unknown: [PeerID] = []
        for (peer, address) in peers.sorted(by: { $0.key < $1.key }) where peer != state.identity.localID {
            guard state.identity.validators[peer] != nil else {
                unknown.append(peer)
                continue
            }
            if let link = state.links[peer] {
                link.update(address: address)
            } else {
                let link = OutboundLink(
                    peer: peer, address: address, eventLoop: group.next(), limits: limits,
                    initializer: initializer, counters: counters, logger: logger)
                state.links[peer] = link
                fresh.append(link)
            }
        }
        return (fresh, unknown)
    }

    /// Queues `bytes` for `peer` over our outbound connection; returns at once.
    ///
    /// Returns `false` (and counts the refusal) when the payload exceeds
    /// `limits.maxPayloadBytes`, the peer has no outbound link (not dialled, or us), or the
    /// network is not running. `true` means queued, not delivered: a full queue drops its
    /// oldest payload, and a payload in flight when a connection breaks is lost.
    @discardableResult
    public func send(_ bytes: [UInt8], to peer: PeerID) -> Bool {
        guard bytes.count <= limits.maxPayloadBytes else {
            counters.update { $0.sendsRefused += 1 }
            logger.error("refusing to send \(bytes.count)-byte payload over the \(limits.maxPayloadBytes)-byte limit", metadata: ["peer": "\(peer)"])
            return false
        }
        let link: OutboundLink? = state.withLock { $0.phase == .running ? $0.links[peer] : nil }
        guard let link else {
            counters.update { $0.sendsRefused += 1 }
            return false
        }
        link.enqueue(bytes)
        return true
    }

    /// Queues `bytes` for every dialled peer; returns how many accepted it.
    @discardableResult
    public func broadcast(_ bytes: [UInt8]) -> Int {
        let peers: [PeerID] = state.withLock { $0.phase == .running ? $0.links.keys.filter { !$0.isFullNode } : [] }
        return peers.reduce(0) { $0 + (send(bytes, to: $1) ? 1 : 0) }
    }

    /// Queues `bytes` for every connected full node; returns how many accepted it.
    @discardableResult
    public func sendToFullNodes(_ bytes: [UInt8]) -> Int {
        let peers: [PeerID] = state.withLock { $0.phase == .running ? $0.links.keys.filter(\.isFullNode) : [] }
        return peers.reduce(0) { $0 + (send(bytes, to: $1) ? 1 : 0) }
    }

    /// Whether any full node is connected (so committed blocks are worth encoding for them).
    public var hasFullNodes: Bool {
        state.withLock { state in state.links.keys.contains(where: \.isFullNode) }
    }

    /// The application is done with `message` (processed or discarded): it no longer counts
    /// against its peer's receive budget, and the peer's reads resume once half the budget is free.
    public func consumed(_ message: PeerMessage) {
        let resume: NIOLoopBound<ReadGate>? = state.withLock { state in
            guard var intake = state.intake[message.from] else { return nil }
            intake.bytes = max(0, intake.bytes - message.bytes.count)
            intake.count = max(0, intake.count - 1)
            var gate: NIOLoopBound<ReadGate>?
            if intake.paused && intake.bytes <= limits.receiveBudgetBytesPerPeer / 2
                && intake.count <= limits.receiveBudgetMessagesPerPeer / 2 {
                intake.paused = false
                gate = state.gates[message.from]
            }
            // A full node that is gone leaves nothing behind once its last payload is consumed.
            let gone = message.from.isFullNode && intake.count == 0 && state.inbound[message.from] == nil
            state.intake[message.from] = gone ? nil : intake
            return gate
        }
        if let resume { resume.eventLoop.execute { resume.value.resume() } }
    }

    /// Stops listening, closes every connection, ends `messages`, and shuts down the event
    /// loop group if the network created it. Safe to call more than once.
    public func shutdown() async {
        let (server, links, inbound, wasRunning): (Channel?, [OutboundLink], [Channel], Bool) = state.withLock { state in
            let taken = (state.server, Array(state.links.values), Array(state.inbound.values), state.phase != .shutDown)
            state.phase = .shutDown
            state.server = nil
            state.links = [:]
            state.inbound = [:]
            return taken
        }
        guard wasRunning else { return }
        let logger = self.logger
        try? await server?.close()
        for link in links { try? await link.stop().get() }
        for channel in inbound { try? await channel.close() }
        continuation.finish()
        counters.update {
            $0.connectedOutbound = []
            $0.connectedInbound = []
        }
        if ownsGroup { try? await group.shutdownGracefully() }
        logger.info("peer network shut down")
    }
}

extension PeerNetwork: PeerChannelDelegate {
    func handshakeFailed(_ error: HandshakeError, direction: ConnectionDirection, remote: SocketAddress?) {
        counters.update { $0.handshakeFailures[error.reason, default: 0] += 1 }
        guard error != .closedByPeer else { return }
        let nowNs = DispatchTime.now().uptimeNanoseconds
        guard let report = state.withLock({ $0.handshakeRefusalLog.note(error.reason, nowNs: nowNs) }) else { return }
        logger.warning("handshake refused: \(error)", metadata: [
            "reason": "\(error.reason)", "direction": "\(direction.rawValue)", "remote": "\(remote.map { "\($0)" } ?? "unknown")",
            "refused_since_last_log": "\(report.total)", "counts": "\(report.summary)",
        ])
    }

    func frameFailed(_ error: TransportError, peer: PeerID, direction: ConnectionDirection) {
        counters.update { $0.frameFailures[error.reason, default: 0] += 1 }
    }

    func channelEstablished(_ channel: Channel, peer: PeerID, direction: ConnectionDirection, identityRevision: UInt64) {
        switch direction {
        case .outbound:
            if identity.isFullNode { watchReads(of: channel, peer: peer) }
            link(for: peer)?.established(channel)
        case .inbound:
            if peer.isFullNode, !acceptFullNode(channel, peer: peer) { return }
            let (accepted, previous, straddled, orphan): (Bool, Channel?, Bool, OutboundLink?) = state.withLock { state in
                // Proven a validator: it leaves the unauthenticated table (its slot is reserved).
                if let id = state.admissionIDs.removeValue(forKey: ObjectIdentifier(channel)) {
                    state.admission.release(id)
                    state.unauthenticated[id] = nil
                }
                guard state.phase == .running else { return (false, nil, false, nil) }
                // Its Hello was checked against a validator set replaced since: it proved nothing about the current
                // one (a full node's link made for it just now goes with it).
                guard state.identityRevision == identityRevision else {
                    let orphan = peer.isFullNode ? state.links.removeValue(forKey: peer) : nil
                    counters.update {
                        $0.closedBySetChange += 1
                        if orphan != nil { _ = $0.connectedFullNodes.remove(peer) }
                    }
                    return (false, nil, true, orphan)
                }
                let old = state.inbound[peer]
                state.inbound[peer] = channel
                counters.update { _ = $0.connectedInbound.insert(peer) }
                return (true, old, false, nil)
            }
            guard accepted else {
                if straddled {
                    logger.debug("closing an inbound connection authenticated under the previous validator set", metadata: ["peer": "\(peer)"])
                }
                _ = orphan?.stop()
                channel.close(promise: nil)
                return
            }
            watchReads(of: channel, peer: peer)
            // A newer connection from the same validator (e.g. it restarted) replaces the old one.
            if let previous, previous !== channel { previous.close(promise: nil) }
            logger.info("inbound connection established", metadata: ["peer": "\(peer)"])
            if peer.isFullNode {
                link(for: peer)?.established(channel)
            } else {
                // It is up: answer it without waiting out our reconnect back-off.
                link(for: peer)?.peerIsUp()
            }
        }
    }

    /// Registers the read gate of the connection `peer`'s payloads arrive on (on its loop): a peer
    /// over its receive budget stays paused on a new connection too.
    private func watchReads(of channel: Channel, peer: PeerID) {
        guard let gate = try? channel.pipeline.syncOperations.handler(type: ReadGate.self) else { return }
        let paused = state.withLock { state in
            state.gates[peer] = NIOLoopBound(gate, eventLoop: channel.eventLoop)
            return state.intake[peer]?.paused ?? false
        }
        if paused { gate.pause() }
    }

    /// Gives an authenticated full node a link that sends over its connection, unless
    /// `FullNodePolicy.maxConnected` others are connected (then it is closed and counted).
    private func acceptFullNode(_ channel: Channel, peer: PeerID) -> Bool {
        let initializer = makeInitializer()
        let logger = self.logger
        // The link lives on the connection's loop; a reconnection gets a new link in place of the old one.
        let (accepted, replaced): (Bool, OutboundLink?) = state.withLock { state in
            guard state.phase == .running else { return (false, nil) }
            let old = state.links[peer]
            guard old != nil || state.links.keys.filter(\.isFullNode).count < state.identity.fullNodes.maxConnected else {
                return (false, nil)
            }
            state.links[peer] = OutboundLink(
                peer: peer, address: PeerAddress(host: "full-node", port: 1), eventLoop: channel.eventLoop, limits: limits,
                initializer: initializer, counters: counters, logger: logger, dials: false)
            return (true, old)
        }
        if let replaced { _ = replaced.stop() }
        if accepted {
            counters.update { _ = $0.connectedFullNodes.insert(peer) }
        } else {
            counters.update { $0.fullNodesRefusedFull += 1 }
            logger.notice("refusing a full node: the most this validator serves are connected", metadata: [
                "peer": "\(peer)", "max_full_nodes": "\(identity.fullNodes.maxConnected)",
            ])
            channel.close(promise: nil)
        }
        return accepted
    }

    func channelClosed(_ channel: Channel, peer: PeerID?, direction: ConnectionDirection) {
        guard let peer else { return }
        switch direction {
        case .outbound:
            link(for: peer)?.closed(channel)
        case .inbound:
            let wasCurrent: Bool = state.withLock { state in
                guard state.inbound[peer] === channel else { return false }
                state.inbound[peer] = nil
                state.gates[peer] = nil
                counters.update { _ = $0.connectedInbound.remove(peer) }
                return true
            }
            if wasCurrent {
                logger.info("inbound connection closed", metadata: ["peer": "\(peer)"])
                if peer.isFullNode {
                    // Full nodes come and go under keys they choose: nothing of one is kept once it is gone
                    // (its receive budget only if payloads of it still wait to be consumed).
                    let link: OutboundLink? = state.withLock { state in
                        if state.intake[peer].map({ $0.count == 0 }) ?? false { state.intake[peer] = nil }
                        return state.links.removeValue(forKey: peer)
                    }
                    if let link {
                        counters.update { _ = $0.connectedFullNodes.remove(peer) }
                        _ = link.stop()
                    }
                }
            }
        }
    }

    func received(_ bytes: [UInt8], from peer: PeerID, on channel: Channel, direction: ConnectionDirection) {
        // Count it against the peer's budget before it is handed on; over budget, stop reading.
        let (current, pause): (Bool, NIOLoopBound<ReadGate>?) = state.withLock { state in
            // Only the peer's current connection speaks for it: one closed by a validator-set change (or replaced
            // by a newer one) may still have a read in flight, from whoever held the id before.
            guard direction == .outbound || state.inbound[peer] === channel else { return (false, nil) }
            var intake = state.intake[peer] ?? Intake()
            intake.bytes += bytes.count
            intake.count += 1
            var gate: NIOLoopBound<ReadGate>?
            if !intake.paused && (intake.bytes > limits.receiveBudgetBytesPerPeer || intake.count > limits.receiveBudgetMessagesPerPeer) {
                intake.paused = true
                gate = state.gates[peer]
            }
            state.intake[peer] = intake
            return (true, gate)
        }
        guard current else {
            counters.update { $0.staleConnectionDrops += 1 }
            return
        }
        if let pause {
            // Normally on the gate's own loop already (the payload came through its channel).
            if pause.eventLoop.inEventLoop { pause.value.pause() } else { pause.eventLoop.execute { pause.value.pause() } }
            counters.update { $0.readPauses += 1 }
            logger.debug("pausing reads: the peer's received payloads wait unconsumed over budget", metadata: ["peer": "\(peer)"])
        }
        let result = continuation.yield(PeerMessage(from: peer, bytes: bytes))
        counters.update {
            $0.framesIn += 1
            $0.bytesIn += bytes.count
            if case .dropped = result { $0.receiveQueueDrops += 1 }
        }
        logger.trace("payload received", metadata: ["peer": "\(peer)", "bytes": "\(bytes.count)"])
    }

    func channelWritable(_ channel: Channel, peer: PeerID, direction: ConnectionDirection) {
        if direction == .outbound || peer.isFullNode { link(for: peer)?.writable(channel) }
    }

    /// Applies `InboundAdmission` to a new inbound connection: its id, or `nil` when refused
    /// (counted, and logged through `refusalLog`). Closes the unauthenticated connection it evicts.
    private func admitInbound(_ channel: Channel) -> InboundAdmission.ConnectionID? {
        let source = Self.sourceKey(channel.remoteAddress)
        let nowNs = DispatchTime.now().uptimeNanoseconds
        let nowMs = nowNs / 1_000_000
        let (decision, evicted, logRefusals): (InboundAdmission.Decision, Channel?, LogThrottle.Report?) = state.withLock { state in
            let decision = state.admission.admit(address: source, nowMs: nowMs)
            switch decision {
            case let .admit(id, evict):
                state.unauthenticated[id] = channel
                state.admissionIDs[ObjectIdentifier(channel)] = id
                guard let evict, let old = state.unauthenticated.removeValue(forKey: evict) else { return (decision, nil, nil) }
                state.admissionIDs[ObjectIdentifier(old)] = nil
                return (decision, old, nil)
            case let .refuse(reason):
                return (decision, nil, state.refusalLog.note(reason.rawValue, nowNs: nowNs))
            }
        }
        switch decision {
        case let .admit(id, _):
            if let evicted {
                counters.update { $0.inboundEvicted += 1 }
                evicted.close(promise: nil)
            }
            return id
        case let .refuse(reason):
            counters.update {
                $0.inboundRefused += 1
                $0.inboundRefusals[reason.rawValue, default: 0] += 1
            }
            if let logRefusals {
                logger.warning("refusing inbound connections before the handshake", metadata: [
                    "reason": "\(reason.rawValue)", "source": "\(source)", "refused_since_last_log": "\(logRefusals.total)",
                    "counts": "\(logRefusals.summary)",
                ])
            }
            return nil
        }
    }

    private func releaseInbound(_ id: InboundAdmission.ConnectionID, _ channel: Channel) {
        state.withLock { state in
            state.admission.release(id)
            if state.unauthenticated[id] === channel { state.unauthenticated[id] = nil }
            if state.admissionIDs[ObjectIdentifier(channel)] == id { state.admissionIDs[ObjectIdentifier(channel)] = nil }
        }
    }

    /// The source an inbound connection is counted under: its IPv4 address, or the /64 prefix of
    /// its IPv6 address (one host usually holds a whole /64), or "unknown".
    static func sourceKey(_ address: SocketAddress?) -> String {
        switch address {
        case let .v4(a)?:
            return a.host
        case let .v6(a)?:
            let bytes = withUnsafeBytes(of: a.address.sin6_addr) { Array($0.prefix(8)) }
            if bytes[0..<8] == [0, 0, 0, 0, 0, 0, 0, 0][...] { return a.host }  // ::1, v4-mapped: the whole address
            return bytes.map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        default:
            return "unknown"
        }
    }

    private func link(for peer: PeerID) -> OutboundLink? {
        state.withLock { $0.links[peer] }
    }
}
