import Logging
import NIOCore

/// Builds the pipeline of one peer connection, head to tail:
/// read gate → frame decoder → handshake → sealing/opening → idle timeout/keep-alive → connection handler.
/// Every handler is created on the channel's event loop and stays there.
struct PeerChannelInitializer: Sendable {
    let identity: NetworkIdentity
    let limits: P2PLimits
    let logger: Logger
    let delegate: PeerChannelDelegate?

    /// Installs the handlers for a connection in `direction`; `expectedPeer` is the dialled validator.
    func configure(_ channel: Channel, direction: ConnectionDirection, expectedPeer: PeerID?) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let handshake = Handshake(
                role: direction == .outbound ? .initiator : .responder,
                identity: identity, expectedPeer: expectedPeer, limits: limits)
            var connectionLogger = logger
            connectionLogger[metadataKey: "direction"] = "\(direction.rawValue)"
            if let expectedPeer { connectionLogger[metadataKey: "peer"] = "\(expectedPeer)" }
            let decoder = FrameDecoder(maxFrameBytes: limits.maxFrameBytes, maxHandshakeFrameBytes: limits.maxHandshakeMessageBytes)
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(ReadGate())
            try sync.addHandler(ByteToMessageHandler(decoder, maximumBufferSize: limits.maxFrameBytes + FrameDecoder.prefixBytes))
            try sync.addHandler(HandshakeHandler(
                handshake: handshake, direction: direction, timeout: limits.handshakeTimeout,
                delegate: delegate, logger: connectionLogger))
            try sync.addHandler(SecureFrameHandler())
            try sync.addHandler(IdleTimeoutHandler(readTimeout: limits.readIdleTimeout, keepaliveInterval: limits.keepaliveInterval))
            try sync.addHandler(PeerConnectionHandler(
                direction: direction, expectedPeer: expectedPeer, deliversOnOutbound: identity.isFullNode,
                delegate: delegate, logger: connectionLogger))
        }
    }
}
