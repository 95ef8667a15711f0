import LedgerCrypto
import NIOCore

/// Which way a connection was opened, seen from this node.
enum ConnectionDirection: String, Sendable {
    /// We dialled; this connection carries our sends to the peer.
    case outbound
    /// The peer dialled; this connection carries the peer's sends to us.
    case inbound
}

/// Fired by `HandshakeHandler` once the peer is authenticated; consumed by `SecureFrameHandler`.
struct HandshakeCompleted: Sendable {
    let peer: PeerID
    let keys: SessionKeysBox
}

/// Wraps session keys so they travel down the pipeline once, in a user event.
struct SessionKeysBox: Sendable {
    let keys: SessionKeys
}

/// Fired by `SecureFrameHandler` once sealing is set up; consumed by `PeerConnectionHandler`.
struct PeerAuthenticated: Sendable {
    let peer: PeerID
}

/// What a connection's handlers report to their owner. Called on the channel's event loop.
protocol PeerChannelDelegate: AnyObject, Sendable {
    /// A handshake was refused or failed; the connection is being closed.
    func handshakeFailed(_ error: HandshakeError, direction: ConnectionDirection, remote: SocketAddress?)
    /// An established connection hit a frame error; the connection is being closed.
    func frameFailed(_ error: TransportError, peer: PeerID, direction: ConnectionDirection)
    /// The handshake succeeded; sealed frames can flow. `identityRevision` is the revision of the identity the
    /// connection was set up under (see `PeerChannelInitializer`).
    func channelEstablished(_ channel: Channel, peer: PeerID, direction: ConnectionDirection, identityRevision: UInt64)
    /// The connection closed. `peer` is the dialled peer (outbound) or the authenticated one.
    func channelClosed(_ channel: Channel, peer: PeerID?, direction: ConnectionDirection)
    /// A payload arrived from an authenticated peer on `channel`.
    func received(_ bytes: [UInt8], from peer: PeerID, on channel: Channel, direction: ConnectionDirection)
    /// The channel became writable again (outbound connections flush their queue).
    func channelWritable(_ channel: Channel, peer: PeerID, direction: ConnectionDirection)
}
