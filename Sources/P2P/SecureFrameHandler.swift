import LedgerCrypto
import NIOCore

/// An authenticated frame coming out of `SecureFrameHandler`.
enum InboundFrame: Sendable {
    /// An application payload.
    case payload([UInt8])
    /// A keep-alive (resets the read-idle timer, carries nothing).
    case keepalive
}

/// A frame to seal and send.
enum OutboundFrame: Sendable {
    /// An application payload.
    case payload([UInt8])
    /// A keep-alive.
    case keepalive
}

/// Seals outgoing frames and opens incoming ones with the session keys from the handshake.
///
/// Inbound: sealed frame bytes → `InboundFrame`; a frame that fails authentication or is
/// malformed raises a `TransportError` down the pipeline (the connection handler closes).
/// Outbound: `OutboundFrame` → length-prefixed sealed bytes. Before the keys arrive,
/// writes fail and reads are errors.
final class SecureFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = InboundFrame
    typealias OutboundIn = OutboundFrame
    typealias OutboundOut = ByteBuffer

    private var sealer: FrameSealer?
    private var opener: FrameOpener?
    private var failed = false

    init() {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let done = event as? HandshakeCompleted {
            sealer = FrameSealer(key: done.keys.keys.transmit)
            opener = FrameOpener(key: done.keys.keys.receive)
            context.fireUserInboundEventTriggered(PeerAuthenticated(peer: done.peer))
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        guard opener != nil else {
            raise(.malformedFrame("sealed frame before the handshake finished"), context: context)
            return
        }
        let frame = unwrapInboundIn(data)
        do {
            let (kind, payload) = try opener!.open(Array(frame.readableBytesView))
            switch kind {
            case .payload: context.fireChannelRead(wrapInboundOut(.payload(payload)))
            case .keepalive: context.fireChannelRead(wrapInboundOut(.keepalive))
            }
        } catch {
            raise(error, context: context)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard sealer != nil, !failed else {
            promise?.fail(TransportError.notRunning)
            return
        }
        let body: [UInt8]
        do {
            switch unwrapOutboundIn(data) {
            case let .payload(bytes): body = try sealer!.seal(.payload, payload: bytes)
            case .keepalive: body = try sealer!.seal(.keepalive, payload: [])
            }
        } catch {
            promise?.fail(error)
            raise(error, context: context)
            return
        }
        context.write(wrapOutboundOut(FrameEncoding.frame(body, allocator: context.channel.allocator)), promise: promise)
    }

    /// Stops processing and reports `error` to the handlers above, which close the connection.
    private func raise(_ error: TransportError, context: ChannelHandlerContext) {
        failed = true
        context.fireErrorCaught(error)
    }
}
