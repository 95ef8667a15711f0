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

/// The fault-injecting TCP proxy of one directed P2P link `from → to`.
///
/// Node `from` dials `listenPort` (config.json `peers` override) instead of `to`'s real p2p
/// port; each accepted connection is relayed to `targetPort`. The connection `from → to`
/// carries only `from`'s messages (P2P keeps one outbound connection per direction), so
/// blackholing this link is a one-way partition. Faults act at connection granularity because
/// a sealed stream cannot lose or repeat bytes: delay (order kept), blackhole, reset.
/// All state lives on one event loop.
// @unchecked: every mutable field is only touched on `loop`.
final class LinkProxy: @unchecked Sendable {
    let from: Int
    let to: Int
    let listenPort: Int
    let targetPort: Int
    let loop: EventLoop
    private var mode: LinkMode = .pass
    private var delayMs: Int64 = 0
    private var connections: [ObjectIdentifier: RelayedConnection] = [:]
    private var server: Channel?
    /// Bytes relayed from `from` to `to` (for the run log).
    private(set) var bytesForwarded: Int = 0

    init(from: Int, to: Int, listenPort: Int, targetPort: Int, loop: EventLoop) {
        self.from = from; self.to = to; self.listenPort = listenPort; self.targetPort = targetPort; self.loop = loop
    }

    /// Binds the listener.
    func start() async throws {
        let channel = try await ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] child in
                child.eventLoop.makeCompletedFuture {
                    let connection = RelayedConnection(link: self, inbound: child)
                    try child.pipeline.syncOperations.addHandler(RelayHandler(
                        onRead: { connection.fromSender($0) }, onClose: { connection.close() }))
                    self.register(connection)
                }
            }
            .bind(host: "127.0.0.1", port: listenPort).get()
        try await loop.submit { self.server = channel }.get()
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

    /// Sets the mode and delay. Leaving `.blackhole` closes the connections that lost bytes.
    func set(mode newMode: LinkMode, delayMs newDelay: Int64) async {
        try? await loop.submit {
            let wasBlackhole = self.mode == .blackhole
            self.mode = newMode
            self.delayMs = max(0, newDelay)
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

    // MARK: On the loop

    var currentMode: LinkMode { mode }
    var currentDelayMs: Int64 { delayMs }

    private func register(_ connection: RelayedConnection) {
        connections[ObjectIdentifier(connection)] = connection
        if mode == .blackhole { connection.blackhole() } else { connection.connectUpstream() }
    }

    func unregister(_ connection: RelayedConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    func countForwarded(_ n: Int) { bytesForwarded &+= n }
}

/// One accepted connection and its upstream twin.
// @unchecked: only touched on the link's loop.
final class RelayedConnection: @unchecked Sendable {
    private unowned let link: LinkProxy
    private let inbound: Channel
    private var upstream: Channel?
    private var connecting = false
    private(set) var isBlackholed = false
    private var closed = false
    /// Bytes from the sender waiting for their release time (or for the upstream connection).
    private var queue: [(releaseAt: NIODeadline, bytes: ByteBuffer)] = []
    private var queueHead = 0
    private var queuedBytes = 0
    private var pumpScheduled = false
    private static let maxQueuedBytes = 64 << 20

    init(link: LinkProxy, inbound: Channel) {
        self.link = link
        self.inbound = inbound
    }

    func connectUpstream() {
        guard !closed, upstream == nil, !connecting else { return }
        connecting = true
        ClientBootstrap(group: link.loop)
            .connectTimeout(.seconds(3))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RelayHandler(
                        onRead: { self.fromReceiver($0) }, onClose: { self.close() }))
                }
            }
            .connect(host: "127.0.0.1", port: link.targetPort)
            .whenComplete { result in
                self.connecting = false
                switch result {
                case let .success(channel):
                    if self.closed { channel.close(promise: nil); return }
                    self.upstream = channel
                    self.pump()
                case .failure:
                    self.close()
                }
            }
    }

    func fromSender(_ bytes: ByteBuffer) {
        guard !closed, !isBlackholed else { return }
        let release = NIODeadline.now() + .milliseconds(link.currentDelayMs)
        queue.append((release, bytes))
        queuedBytes += bytes.readableBytes
        if queuedBytes > Self.maxQueuedBytes { close(); return }
        pump()
    }

    func fromReceiver(_ bytes: ByteBuffer) {
        guard !closed, !isBlackholed else { return }
        inbound.writeAndFlush(bytes, promise: nil)
    }

    /// Writes every queued chunk whose time has come, in order; schedules itself for the rest.
    private func pump() {
        guard !closed, !isBlackholed, let upstream else { return }
        // Take the due chunks out first: a write can close the connection re-entrantly
        // (which empties the queue), so never index the queue across a write.
        let now = NIODeadline.now()
        var due: [ByteBuffer] = []
        while queueHead < queue.count, queue[queueHead].releaseAt <= now {
            due.append(queue[queueHead].bytes)
            queuedBytes -= queue[queueHead].bytes.readableBytes
            queueHead += 1
        }
        if queueHead >= queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        }
        for chunk in due {
            link.countForwarded(chunk.readableBytes)
            upstream.write(chunk, promise: nil)
        }
        if !due.isEmpty { upstream.flush() }
        guard !closed, !isBlackholed, queueHead < queue.count, !pumpScheduled else { return }
        pumpScheduled = true
        link.loop.scheduleTask(deadline: queue[queueHead].releaseAt) {
            self.pumpScheduled = false
            self.pump()
        }
    }

    func blackhole() {
        isBlackholed = true
        queue.removeAll()
        queueHead = 0
        queuedBytes = 0
    }

    func close() {
        guard !closed else { return }
        closed = true
        queue.removeAll()
        queueHead = 0
        inbound.close(promise: nil)
        upstream?.close(promise: nil)
        link.unregister(self)
    }
}

/// Hands each read to `onRead` and reports the end of the connection once.
final class RelayHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let onRead: (ByteBuffer) -> Void
    private let onClose: () -> Void

    init(onRead: @escaping (ByteBuffer) -> Void, onClose: @escaping () -> Void) {
        self.onRead = onRead
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onRead(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
