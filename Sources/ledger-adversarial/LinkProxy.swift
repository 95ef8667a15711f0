import Foundation
import NIOCore
import NIOPosix

/// What a directed link does with the bytes of its connections.
enum LinkMode: Sendable, Equatable, CustomStringConvertible {
    /// Forward everything (after the link's delay).
    case pass
    /// Swallow everything: the sender believes it is connected, the receiver hears nothing.
    /// Frames are AEAD-sealed with counter nonces, so a connection that lost bytes is useless
    /// afterwards: healing closes it and the sender redials.
    case blackhole

    var description: String { self == .pass ? "pass" : "blackhole" }
}

/// The delaying, fault-injecting TCP proxy of one route (one directed P2P link `from → to`).
///
/// Node `from` dials the route's listen address (config.json `peers` override) instead of `to`'s
/// real p2p address; each accepted connection is relayed to the target. Both directions of a
/// relayed connection wait the link's one-way delay (plus jitter, order kept: `DelayedPipe`), so a
/// full node's replies on the connection it dialled are delayed like the requests. Between two
/// validators the connection `from → to` carries `from`'s messages (P2P keeps one outbound
/// connection per direction; the return direction carries the handshake), so blackholing this
/// link is a one-way partition. Faults act at connection granularity because a sealed stream
/// cannot lose or repeat bytes: delay (order kept), blackhole, reset. All state lives on one
/// event loop. Used by the adversarial cluster and by `ledger-adversarial link-proxy`.
// @unchecked: every mutable field is only touched on `loop`.
final class LinkProxy: @unchecked Sendable {
    /// Bytes one direction of one connection may hold before the proxy stops reading its sender.
    static let maxQueuedBytes = 16 << 20
    /// Longest delay or jitter a link takes: a minute is already far beyond any real one-way delay.
    static let maxDelayMs: Int64 = 60_000
    /// Deadline on connecting to the target; past it the accepted connection is closed (the sender redials).
    static let connectTimeoutMs: Int64 = 3_000

    let route: LinkRoute
    let loop: EventLoop
    private var mode: LinkMode = .pass
    private var delayMs: Int64 = 0
    private var jitterMs: Int64 = 0
    private let seed: UInt64
    private var connectionsMade: UInt64 = 0
    private var connections: [ObjectIdentifier: RelayedConnection] = [:]
    private var server: Channel?
    private var counters = LinkCounters()

    /// A proxy of `route` on `loop`; `seed` feeds the jitter draws (one stream per connection and direction).
    init(route: LinkRoute, loop: EventLoop, seed: UInt64 = 1) {
        self.route = route; self.loop = loop; self.seed = seed
    }

    /// Binds the listener; returns the port it listens on (the route's, or the one the kernel
    /// chose for port 0).
    @discardableResult
    func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] child in
                child.eventLoop.makeCompletedFuture {
                    let connection = RelayedConnection(link: self, inbound: child, seed: self.nextSeed())
                    try child.pipeline.syncOperations.addHandler(RelayHandler(
                        onRead: { connection.fromSender($0) },
                        onWritabilityChanged: { connection.inboundWritabilityChanged() },
                        onClose: { connection.sideEnded(upstream: false) }))
                    self.register(connection)
                }
            }
            .bind(host: route.listenHost, port: route.listenPort).get()
        try await loop.submit { self.server = channel }.get()
        return channel.localAddress?.port ?? route.listenPort
    }

    /// Closes the listener and every relayed connection.
    func stop() async {
        let server = try? await loop.submit { () -> Channel? in
            for c in self.connections.values { c.close() }
            self.connections.removeAll()
            return self.server
        }.get()
        if let s = server ?? nil { try? await s.close() }
    }

    /// Sets the mode and the one-way delay (each direction; jitter: each chunk waits a further
    /// 0…`jitterMs`; both clamped to 0…`maxDelayMs`). Leaving `.blackhole` closes the connections that lost bytes.
    func set(mode newMode: LinkMode, delayMs newDelay: Int64, jitterMs newJitter: Int64 = 0) async {
        try? await loop.submit {
            let wasBlackhole = self.mode == .blackhole
            self.mode = newMode
            self.delayMs = min(max(0, newDelay), Self.maxDelayMs)
            self.jitterMs = min(max(0, newJitter), Self.maxDelayMs)
            if newMode == .blackhole {
                for c in self.connections.values { c.blackhole() }
            } else if wasBlackhole {
                for c in self.connections.values where c.isBlackholed { c.close() }
            }
        }.get()
    }

    /// Closes every connection now (the sender redials).
    func reset() async {
        try? await loop.submit { for c in self.connections.values { c.close() } }.get()
    }

    /// The route's byte and connection counters so far.
    func snapshot() async -> LinkCounters {
        (try? await loop.submit { () -> LinkCounters in
            var c = self.counters
            c.open = self.connections.count
            return c
        }.get()) ?? LinkCounters()
    }

    // MARK: On the loop

    var currentMode: LinkMode { mode }
    var currentDelayMs: Int64 { delayMs }
    var currentJitterMs: Int64 { jitterMs }

    private func nextSeed() -> UInt64 {
        connectionsMade &+= 1
        return seed &+ connectionsMade &* 0x9E37_79B9_7F4A_7C15
    }

    private func register(_ connection: RelayedConnection) {
        connections[ObjectIdentifier(connection)] = connection
        counters.accepted &+= 1
        if mode == .blackhole { connection.blackhole() } else { connection.connectUpstream() }
    }

    func unregister(_ connection: RelayedConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    func countForwarded(_ n: Int) { counters.bytesForward &+= UInt64(n) }
    func countReturned(_ n: Int) { counters.bytesBack &+= UInt64(n) }
    func countConnectFailure() { counters.connectFailures &+= 1 }
}

/// What one route carried: bytes each way, connections accepted, open, and failed upstream connects.
struct LinkCounters: Sendable, Equatable {
    /// Bytes relayed from the dialling side to the target.
    var bytesForward: UInt64 = 0
    /// Bytes relayed from the target back to the dialling side.
    var bytesBack: UInt64 = 0
    /// Connections accepted on the listener.
    var accepted: UInt64 = 0
    /// Accepted connections whose upstream connect failed or timed out.
    var connectFailures: UInt64 = 0
    /// Connections open now.
    var open = 0
}

/// One accepted connection and its upstream twin, each direction a `DelayedPipe`.
// @unchecked: only touched on the link's loop.
final class RelayedConnection: @unchecked Sendable {
    private unowned let link: LinkProxy
    private let inbound: Channel
    private var upstream: Channel?
    private var connecting = false
    private(set) var isBlackholed = false
    private var closed = false
    /// One side has closed; the other is closed once what was in flight toward it arrived.
    private var ending = false
    /// Sender → target; its sink is the upstream connection once it is up.
    private let forward: DelayedPipe
    /// Target → sender; created with the upstream connection (its source).
    private var back: DelayedPipe?
    private let seed: UInt64

    init(link: LinkProxy, inbound: Channel, seed: UInt64) {
        self.link = link
        self.inbound = inbound
        self.seed = seed
        forward = DelayedPipe(loop: link.loop, source: inbound, seed: seed) { [unowned link] in link.countForwarded($0) }
    }

    func connectUpstream() {
        guard !closed, upstream == nil, !connecting else { return }
        connecting = true
        var bootstrap = ClientBootstrap(group: link.loop)
            .connectTimeout(.milliseconds(LinkProxy.connectTimeoutMs))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    // The return pipe exists before the first byte can arrive from the target.
                    let back = DelayedPipe(loop: link.loop, source: channel, seed: ~seed) { [unowned link] in link.countReturned($0) }
                    back.attach(sink: inbound)
                    self.back = back
                    try channel.pipeline.syncOperations.addHandler(RelayHandler(
                        onRead: { self.fromReceiver($0) },
                        onWritabilityChanged: { self.forward.sinkWritabilityChanged() },
                        onClose: { self.sideEnded(upstream: true) }))
                }
            }
        if let source = link.route.sourceHost, let address = try? SocketAddress(ipAddress: source, port: 0) {
            bootstrap = bootstrap.bind(to: address)
        }
        bootstrap.connect(host: link.route.targetHost, port: link.route.targetPort)
            .whenComplete { result in
                self.connecting = false
                switch result {
                case let .success(channel):
                    if self.closed { channel.close(promise: nil); return }
                    self.upstream = channel
                    self.forward.attach(sink: channel)
                case .failure:
                    self.link.countConnectFailure()
                    self.close()
                }
            }
    }

    func fromSender(_ bytes: ByteBuffer) {
        guard !closed, !isBlackholed else { return }
        forward.enqueue(bytes, delayMs: link.currentDelayMs, jitterMs: link.currentJitterMs)
    }

    func fromReceiver(_ bytes: ByteBuffer) {
        guard !closed, !isBlackholed else { return }
        back?.enqueue(bytes, delayMs: link.currentDelayMs, jitterMs: link.currentJitterMs)
    }

    func inboundWritabilityChanged() { back?.sinkWritabilityChanged() }

    /// One side closed: what it sent before still arrives on time, and the other side learns of the
    /// end one delay later (a FIN crosses the link like data), then both are closed.
    func sideEnded(upstream ended: Bool) {
        guard !closed, !ending else { return }
        // The pipe toward the side still open (none yet toward a target still being dialled).
        let pipe = ended ? back : (upstream == nil ? nil : forward)
        guard !isBlackholed, let pipe else { return close() }
        ending = true
        let at = max(NIODeadline.now() + .milliseconds(link.currentDelayMs), pipe.lastReleaseTime)
        link.loop.scheduleTask(deadline: at) {
            pipe.flushAll()
            self.close()
        }
    }

    func blackhole() {
        isBlackholed = true
        forward.clear()
        back?.clear()
    }

    func close() {
        guard !closed else { return }
        closed = true
        forward.detach()
        back?.detach()
        inbound.close(promise: nil)
        upstream?.close(promise: nil)
        link.unregister(self)
    }
}

/// Hands each read to `onRead`, reports writability changes and the end of the connection once.
final class RelayHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let onRead: (ByteBuffer) -> Void
    private let onWritabilityChanged: () -> Void
    private let onClose: () -> Void

    init(onRead: @escaping (ByteBuffer) -> Void, onWritabilityChanged: @escaping () -> Void = {},
         onClose: @escaping () -> Void) {
        self.onRead = onRead
        self.onWritabilityChanged = onWritabilityChanged
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onRead(unwrapInboundIn(data))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        onWritabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
