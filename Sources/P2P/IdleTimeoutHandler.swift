import NIOCore

/// Keeps an established connection honest about liveness: sends a keep-alive frame when
/// nothing was written for `keepaliveInterval`, and raises `TransportError.readTimeout`
/// when no authenticated frame arrived for `readTimeout`.
///
/// It sits above the sealing handler, so only frames that authenticate count as reads
/// (a peer trickling garbage cannot keep a connection alive), and it starts only once the
/// handshake is done (the handshake has its own timeout). Time is the event loop's `now`,
/// so tests drive it with an `EmbeddedEventLoop`.
final class IdleTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias InboundOut = InboundFrame
    typealias OutboundIn = OutboundFrame
    typealias OutboundOut = OutboundFrame

    private let readTimeout: TimeAmount
    private let keepaliveInterval: TimeAmount
    private var lastRead = NIODeadline.distantPast
    private var lastWrite = NIODeadline.distantPast
    private var readTask: Scheduled<Void>?
    private var writeTask: Scheduled<Void>?
    private var isRunning = false

    init(readTimeout: TimeAmount, keepaliveInterval: TimeAmount) {
        self.readTimeout = readTimeout
        self.keepaliveInterval = keepaliveInterval
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is PeerAuthenticated, !isRunning {
            isRunning = true
            let now = context.eventLoop.now
            lastRead = now
            lastWrite = now
            armRead(context: context, at: now + readTimeout)
            armWrite(context: context, at: now + keepaliveInterval)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = context.eventLoop.now
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastWrite = context.eventLoop.now
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    private func stop() {
        isRunning = false
        readTask?.cancel()
        writeTask?.cancel()
        readTask = nil
        writeTask = nil
    }

    private func armRead(context: ChannelHandlerContext, at deadline: NIODeadline) {
        readTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.checkRead(context: context)
        }
    }

    private func armWrite(context: ChannelHandlerContext, at deadline: NIODeadline) {
        writeTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.checkWrite(context: context)
        }
    }

    private func checkRead(context: ChannelHandlerContext) {
        guard isRunning, context.channel.isActive else { return }
        if context.eventLoop.now - lastRead >= readTimeout {
            stop()
            context.fireErrorCaught(TransportError.readTimeout(milliseconds: readTimeout.nanoseconds / 1_000_000))
        } else {
            armRead(context: context, at: lastRead + readTimeout)
        }
    }

    private func checkWrite(context: ChannelHandlerContext) {
        guard isRunning, context.channel.isActive else { return }
        let now = context.eventLoop.now
        if now - lastWrite >= keepaliveInterval {
            lastWrite = now
            context.writeAndFlush(wrapOutboundOut(.keepalive), promise: nil)
        }
        armWrite(context: context, at: lastWrite + keepaliveInterval)
    }
}
