import Logging
import NIOCore

/// Builds the pipeline of one peer connection, head to tail:
/// read gate → frame decoder → handshake → sealing/opening → idle timeout/keep-alive → connection handler.
/// Every handler is created on the channel's event loop and stays there.
///
/// Each connection is set up under the identity in force when it opens (`current`): a validator-set change
/// (`PeerNetwork.replaceValidatorSet`) affects the connections opened after it, and the revision the connection
/// was set up under travels with it to `PeerChannelDelegate.channelEstablished`, which closes one that
/// straddled a change.
struct PeerChannelInitializer: Sendable {
    let limits: P2PLimits
    let logger: Logger
    let delegate: PeerChannelDelegate?
    /// The identity in force now and its revision (the network's, read under its lock).
    let current: @Sendable () -> (identity: NetworkIdentity, revision: UInt64)

    /// An initializer whose identity never changes (revision 0).
    init(identity: NetworkIdentity, limits: P2PLimits, logger: Logger, delegate: PeerChannelDelegate?) {
        self.init(limits: limits, logger: logger, delegate: delegate) { (identity, 0) }
    }

    /// An initializer that reads the identity in force from `current` for each new connection.
    init(limits: P2PLimits, logger: Logger, delegate: PeerChannelDelegate?,
         current: @escaping @Sendable () -> (identity: NetworkIdentity, revision: UInt64)) {
        self.limits = limits
        self.logger = logger
        self.delegate = delegate
        self.current = current
    }

    /// Installs the handlers for a connection in `direction`; `expectedPeer` is the dialled validator.
    func configure(_ channel: Channel, direction: ConnectionDirection, expectedPeer: PeerID?) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let (identity, revision) = current()
            let handshake = Handshake(
                role: direction == .outbound ? .initiator : .responder,
                identity: identity, expectedPeer: expectedPeer, limits: limits)
            var connectionLogger = logger
            connectionLogger[metadataKey: "replica"] = "\(identity.localID)"  // ours may change with the validator set
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
                identityRevision: revision, delegate: delegate, logger: connectionLogger))
        }
    }
}
