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

    let continuation: AsyncStream<PeerMessage>.Continuation
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
