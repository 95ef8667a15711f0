import LedgerCrypto
import Logging
import NIOCore

/// Runs the `Handshake` state machine on a connection.
///
/// As initiator sends our Hello when the channel is active; as responder answers the
/// initiator's Hello with ours and its Auth with ours (see `Handshake` for why in that order).
/// On success fires `HandshakeCompleted` and passes every later frame through untouched.
/// Any refusal (including the handshake timeout) is logged (debug; the delegate logs a throttled warning),
/// reported to the delegate and closes the connection.
final class HandshakeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase { case idle, handshaking, established, failed }

    private var handshake: Handshake
    private let direction: ConnectionDirection
    private let timeout: TimeAmount
    private let delegate: PeerChannelDelegate?
    private var logger: Logger
    private var phase = Phase.idle
    private var timeoutTask: Scheduled<Void>?

    init(handshake: Handshake, direction: ConnectionDirection, timeout: TimeAmount, delegate: PeerChannelDelegate?, logger: Logger) {
        self.handshake = handshake
        self.direction = direction
        self.timeout = timeout
        self.delegate = delegate
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { begin(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard phase == .idle else { return }
        phase = .handshaking
        if let remote = context.remoteAddress { logger[metadataKey: "remote"] = "\(remote)" }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeoutTask = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            handler.fail(.timedOut(milliseconds: handler.timeout.nanoseconds / 1_000_000), context: context)
        }
        if handshake.role == .initiator {
            context.writeAndFlush(wrapOutboundOut(FrameEncoding.frame(handshake.helloMessage, allocator: context.channel.allocator)), promise: nil)
        }
    }

    private func establish(_ result: Handshake.Established, context: ChannelHandlerContext) {
        phase = .established
        timeoutTask?.cancel()
        timeoutTask = nil
        logger.debug("handshake complete", metadata: ["peer": "\(result.peer)", "direction": "\(direction.rawValue)"])
        context.fireUserInboundEventTriggered(HandshakeCompleted(peer: result.peer, keys: SessionKeysBox(keys: result.keys)))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .established:
            context.fireChannelRead(data)
        case .failed:
            return
        case .idle, .handshaking:
            let frame = unwrapInboundIn(data)
            do {
                switch try handshake.receive(Array(frame.readableBytesView)) {
                case let .send(message):
                    context.writeAndFlush(wrapOutboundOut(FrameEncoding.frame(message, allocator: context.channel.allocator)), promise: nil)
                case let .established(result):
                    establish(result, context: context)
                case let .sendAndEstablish(auth, result):
                    // The Auth goes out in the clear, before the sealing handler takes over.
                    context.writeAndFlush(wrapOutboundOut(FrameEncoding.frame(auth, allocator: context.channel.allocator)), promise: nil)
                    establish(result, context: context)
                }
            } catch {
                fail(error, context: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch phase {
        case .established:
            context.fireErrorCaught(error)
        case .failed:
            return
        case .idle, .handshaking:
            if case let .frameTooLarge(length, limit)? = error as? TransportError {
                fail(.oversizedMessage(bytes: length, limit: limit), context: context)
            } else {
                fail(.malformedMessage("\(error)"), context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        timeoutTask = nil
        if phase == .handshaking || phase == .idle {
            phase = .failed
            logger.debug("peer closed during handshake", metadata: ["direction": "\(direction.rawValue)"])
            delegate?.handshakeFailed(.closedByPeer, direction: direction, remote: context.remoteAddress)
        }
        context.fireChannelInactive()
    }

    private func fail(_ error: HandshakeError, context: ChannelHandlerContext) {
        guard phase != .failed, phase != .established else { return }
        phase = .failed
        timeoutTask?.cancel()
        timeoutTask = nil
        // The delegate (the network) logs refusals at warning level, throttled: a peer redialling a refused
        // handshake (one that has not switched validator sets yet, or an attacker) must not flood the log.
        logger.debug("handshake refused: \(error)", metadata: ["reason": "\(error.reason)", "direction": "\(direction.rawValue)"])
        delegate?.handshakeFailed(error, direction: direction, remote: context.remoteAddress)
        context.close(promise: nil)
    }
}
