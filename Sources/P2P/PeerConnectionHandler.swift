import Logging
import NIOCore

/// The last handler of a peer connection: hands payloads to the delegate and turns frame
/// errors (including read timeouts) into a counted, logged close.
///
/// Inbound connections deliver the peer's payloads. Between validators an outbound connection
/// carries only our sends, so a payload arriving on one is a protocol violation and closes it; a
/// full node's outbound connections are its only ones, so they carry the validators' answers too.
final class PeerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame

    private let direction: ConnectionDirection
    private let deliversOnOutbound: Bool
    private let identityRevision: UInt64
    private let delegate: PeerChannelDelegate?
    private var logger: Logger
    private var peer: PeerID?
    private var isEstablished = false
    private var isClosing = false

    init(direction: ConnectionDirection, expectedPeer: PeerID?, deliversOnOutbound: Bool = false,
         identityRevision: UInt64 = 0, delegate: PeerChannelDelegate?, logger: Logger) {
        self.direction = direction
        self.deliversOnOutbound = deliversOnOutbound
        self.identityRevision = identityRevision
        self.peer = expectedPeer
        self.delegate = delegate
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let authenticated = event as? PeerAuthenticated {
            peer = authenticated.peer
            isEstablished = true
            logger[metadataKey: "peer"] = "\(authenticated.peer)"
            delegate?.channelEstablished(
                context.channel, peer: authenticated.peer, direction: direction, identityRevision: identityRevision)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard isEstablished, !isClosing, let peer else { return }
        switch unwrapInboundIn(data) {
        case .keepalive:
            logger.trace("keep-alive received")
        case let .payload(bytes):
            if direction == .inbound || deliversOnOutbound {
                delegate?.received(bytes, from: peer, on: context.channel, direction: direction)
            } else {
                fail(.unexpectedPayload, context: context)
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if isEstablished, let peer, context.channel.isWritable {
            delegate?.channelWritable(context.channel, peer: peer, direction: direction)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let transportError = error as? TransportError {
            fail(transportError, context: context)
        } else {
            // Socket-level errors (reset by peer, …): close quietly; the owner reconnects.
            logger.debug("connection error: \(error)")
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        delegate?.channelClosed(context.channel, peer: peer, direction: direction)
        context.fireChannelInactive()
    }

    private func fail(_ error: TransportError, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        isClosing = true
        logger.warning("closing connection: \(error)", metadata: ["reason": "\(error.reason)", "direction": "\(direction.rawValue)"])
        if let peer { delegate?.frameFailed(error, peer: peer, direction: direction) }
        context.close(promise: nil)
    }
}
