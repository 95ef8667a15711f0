import Logging
import NIOCore
import NIOPosix

/// Our one outbound connection to one peer: the bounded send queue, the dialling, and
/// reconnection with capped exponential back-off plus jitter. A validator's link to a full node
/// does not dial (`dials` false): it sends over the connection the full node dialled, and waits
/// for the full node to dial again when it drops.
///
/// All mutable state is confined to `eventLoop` (the connection's loop too); public entry
/// points hop onto it, so `enqueue` never blocks the caller.
final class OutboundLink: @unchecked Sendable {
    // @unchecked: every `var` below is read and written only on `eventLoop`.
    let peer: PeerID
    let eventLoop: EventLoop
    /// Whether this link dials its peer (false: it uses the peer's inbound connection).
    let dials: Bool
    private let limits: P2PLimits
    private let initializer: PeerChannelInitializer
    private let counters: NetworkCounters
    private var logger: Logger

    private var address: PeerAddress
    private var queue = CircularBuffer<[UInt8]>()
    private var queuedBytes = 0
    private var channel: Channel?
    private var pendingChannel: Channel?
    private var isConnecting = false
    private var failedAttempts = 0
    private var reconnectTask: Scheduled<Void>?
    private var isStopped = false
    /// A flush is queued on the loop: payloads enqueued before it runs go out in one write.
    private var isFlushScheduled = false
    /// When the link last lost (or, at the start, had not yet made) its connection; `nil` while connected.
    private var disconnectedSince: NIODeadline? = .now()
    /// The queue was emptied in the current outage because it outlasted `disconnectedQueueRetention`.
    private var isDiscarding = false
    /// Connections given up by `reconnect(to:logger:)` that may still report their close or handshake.
    private var retired: Set<ObjectIdentifier> = []
    /// Bumped by `reconnect(to:logger:)`: a dial started before it is stale when it completes.
    private var dialGeneration: UInt64 = 0

    init(peer: PeerID, address: PeerAddress, eventLoop: EventLoop, limits: P2PLimits,
         initializer: PeerChannelInitializer, counters: NetworkCounters, logger: Logger, dials: Bool = true) {
        self.peer = peer
        self.dials = dials
        self.address = address
        self.eventLoop = eventLoop
        self.limits = limits
        self.initializer = initializer
        self.counters = counters
        var logger = logger
        logger[metadataKey: "peer"] = "\(peer)"
        self.logger = logger
    }

    /// Starts dialling (idempotent).
    func start() {
        onLoop { self.connect() }
    }

    /// The peer just proved it is up (an authenticated inbound connection from it): if this link
    /// is waiting out a reconnect back-off, dial now, with the back-off reset. Otherwise a
    /// validator back from a long outage (one catching up by state transfer) would wait up to
    /// `reconnectMaxDelay` for every answer sent over this link.
    func peerIsUp() {
        onLoop {
            guard !self.isStopped, self.channel == nil, !self.isConnecting, let pending = self.reconnectTask else { return }
            pending.cancel()
            self.reconnectTask = nil
            self.failedAttempts = 0
            self.connect()
        }
    }

    /// Starts over with the peer now holding this link's id after a validator-set change: what is queued (meant for
    /// the old holder) is dropped, the connection and any dial in progress are closed, and a new dial starts at
    /// once with the back-off reset, to `address`. `logger` replaces the link's logger (our own id may have changed).
    func reconnect(to address: PeerAddress, logger: Logger) {
        onLoop {
            guard !self.isStopped else { return }
            var logger = logger
            logger[metadataKey: "peer"] = "\(self.peer)"
            self.logger = logger
            self.address = address
            self.queue.removeAll()
            self.queuedBytes = 0
            self.reconnectTask?.cancel()
            self.reconnectTask = nil
            let old = [self.channel, self.pendingChannel].compactMap { $0 }
            // Retired before closing: a close runs its callbacks at once when already on the loop.
            for channel in old { self.retired.insert(ObjectIdentifier(channel)) }
            if self.channel != nil, self.dials { self.counters.update { _ = $0.connectedOutbound.remove(self.peer) } }
            self.channel = nil
            self.pendingChannel = nil
            self.isConnecting = false
            self.dialGeneration &+= 1
            self.failedAttempts = 0
            self.disconnectedSince = .now()
            self.isDiscarding = false
            for channel in old { channel.close(promise: nil) }
            self.logger.info("reconnecting after a validator-set change", metadata: ["address": "\(address)"])
            self.connect()
        }
    }

    /// Changes the address used from the next connection attempt on.
    func update(address: PeerAddress) {
        onLoop { self.address = address }
    }

    /// Queues a payload; drops the oldest queued payloads while over the bounds. While the peer
    /// has been unreachable for longer than `disconnectedQueueRetention`, the queue is emptied and
    /// payloads are dropped at once (counted in `droppedWhilePeerDown`).
    func enqueue(_ bytes: [UInt8]) {
        onLoop {
            guard !self.isStopped else { return }
            if self.outageOutlastedRetention() {
                self.counters.update { $0.droppedWhilePeerDown += 1 }
                return
            }
            self.queue.append(bytes)
            self.queuedBytes += bytes.count
            var dropped = 0
            while self.queue.count > self.limits.sendQueueCapacity || self.queuedBytes > self.limits.sendQueueMaxBytes {
                let old = self.queue.removeFirst()
                self.queuedBytes -= old.count
                dropped += 1
            }
            if dropped > 0 {
                self.counters.update { $0.sendQueueDrops += dropped }
                self.logger.debug("send queue full, dropped oldest", metadata: ["dropped": "\(dropped)"])
            }
            self.scheduleFlush()
        }
    }

    /// Flushes once the loop has run the tasks already queued on it, so the payloads that several
    /// of them enqueue (a broadcast, gossip, votes) share one system call instead of one each.
    private func scheduleFlush() {
        guard !isFlushScheduled else { return }
        isFlushScheduled = true
        eventLoop.execute {
            self.isFlushScheduled = false
            self.flush()
        }
    }

    /// Stops for good: no more reconnects, the connection is closed, the queue is emptied.
    func stop() -> EventLoopFuture<Void> {
        eventLoop.submit {
            // The network no longer routes this link's events to it: the connection leaves the counters here.
            if self.channel != nil, self.dials, !self.isStopped { self.counters.update { _ = $0.connectedOutbound.remove(self.peer) } }
            self.isStopped = true
            self.reconnectTask?.cancel()
            self.reconnectTask = nil
            self.queue.removeAll()
            self.queuedBytes = 0
            return [self.channel, self.pendingChannel].compactMap { $0 }
        }.flatMap { channels in
            let closes = channels.map { $0.close().recover { _ in } }
            return EventLoopFuture.andAllComplete(closes, on: self.eventLoop)
        }
    }

    /// Whether the current outage is older than the retention; if so the queue is emptied (once
    /// per outage, logged). Consensus recovers what a long-down peer missed on its own, by
    /// retransmission, STATUS and state transfer; replaying seconds of stale frames into a
    /// restarted validator would only cost it signature checks and memory here.
    private func outageOutlastedRetention() -> Bool {
        guard channel == nil, let since = disconnectedSince else { return false }
        guard NIODeadline.now() - since > limits.disconnectedQueueRetention else { return false }
        if !isDiscarding {
            isDiscarding = true
            let dropped = queue.count
            queue.removeAll()
            queuedBytes = 0
            counters.update { $0.droppedWhilePeerDown += dropped }
            logger.info("peer unreachable past the queue retention; dropping what is queued for it until it is back", metadata: [
                "dropped": "\(dropped)", "retention_ms": "\(limits.disconnectedQueueRetention.nanoseconds / 1_000_000)",
            ])
        }
        return true
    }

    // MARK: Connection events (called on `eventLoop` by the network's delegate methods)

    func established(_ channel: Channel) {
        eventLoop.preconditionInEventLoop()
        guard !isStopped, !retired.contains(ObjectIdentifier(channel)) else {
            channel.close(promise: nil)
            return
        }
        // Payloads still queued from an outage longer than the retention are stale even if
        // nothing was sent after it ended.
        _ = outageOutlastedRetention()
        self.channel = channel
        pendingChannel = nil
        isConnecting = false
        failedAttempts = 0
        disconnectedSince = nil
        isDiscarding = false
        if dials {
            counters.update {
                _ = $0.connectedOutbound.insert(self.peer)
                $0.outboundEstablished[self.peer, default: 0] += 1
            }
            logger.info("outbound connection established", metadata: ["address": "\(address)"])
        }
        flush()
    }

    func closed(_ channel: Channel) {
        eventLoop.preconditionInEventLoop()
        if retired.remove(ObjectIdentifier(channel)) != nil { return }  // given up by `reconnect`; the new dial runs
        if self.channel === channel {
            self.channel = nil
            disconnectedSince = .now()
            if dials {
                counters.update { _ = $0.connectedOutbound.remove(self.peer) }
                logger.info("outbound connection closed")
            }
        } else if pendingChannel === channel {
            pendingChannel = nil
        } else if self.channel != nil || pendingChannel != nil {
            return  // a stale channel; the current one is unaffected
        }
        isConnecting = false
        scheduleReconnect()
    }

    func writable(_ channel: Channel) {
        eventLoop.preconditionInEventLoop()
        if self.channel === channel { flush() }
    }

    // MARK: Internals (on `eventLoop`)

    private func flush() {
        guard let channel, channel.isActive else { return }
        var frames = 0
        var bytes = 0
        while channel.isWritable, let next = queue.popFirst() {
            queuedBytes -= next.count
            frames += 1
            bytes += next.count
            channel.write(OutboundFrame.payload(next), promise: nil)
        }
        if frames > 0 {
            channel.flush()
            counters.update {
                $0.framesOut += frames
                $0.bytesOut += bytes
            }
            logger.trace("frames written", metadata: ["frames": "\(frames)"])
        }
    }

    private func connect() {
        guard dials, !isStopped, channel == nil, !isConnecting else { return }
        isConnecting = true
        counters.update { $0.connectAttempts += 1 }
        let target = address
        let initializer = self.initializer
        let peer = self.peer
        let generation = dialGeneration
        ClientBootstrap(group: eventLoop)
            .connectTimeout(limits.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                initializer.configure(channel, direction: .outbound, expectedPeer: peer)
            }
            .connect(host: target.host, port: target.port)
            .hop(to: eventLoop)
            .whenComplete { result in
                guard generation == self.dialGeneration else {
                    // Dialled for the peer that held this id before a validator-set change.
                    if case let .success(channel) = result {
                        self.retired.insert(ObjectIdentifier(channel))
                        channel.close(promise: nil)
                    }
                    return
                }
                switch result {
                case let .success(channel):
                    if self.isStopped {
                        channel.close(promise: nil)
                    } else if channel.isActive, self.channel !== channel {
                        self.pendingChannel = channel
                    }
                case let .failure(error):
                    self.logger.debug("connect failed: \(error)", metadata: ["address": "\(target)"])
                    self.isConnecting = false
                    self.scheduleReconnect()
                }
            }
    }

    private func scheduleReconnect() {
        guard dials, !isStopped, reconnectTask == nil, channel == nil, !isConnecting else { return }
        let delay = backoffDelay(failedAttempts: failedAttempts)
        failedAttempts = min(failedAttempts + 1, 62)
        logger.debug("reconnecting", metadata: ["delay_ms": "\(delay.nanoseconds / 1_000_000)"])
        reconnectTask = eventLoop.scheduleTask(in: delay) {
            self.reconnectTask = nil
            self.connect()
        }
    }

    /// Capped exponential back-off with "equal jitter": half the delay fixed, half random.
    private func backoffDelay(failedAttempts: Int) -> TimeAmount {
        let base = limits.reconnectBaseDelay.nanoseconds
        let cap = limits.reconnectMaxDelay.nanoseconds
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << min(failedAttempts, 30))
        let ceiling = overflow ? cap : min(scaled, cap)
        let half = ceiling / 2
        return .nanoseconds(half + Int64.random(in: 0...max(half, 0)))
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }
}
