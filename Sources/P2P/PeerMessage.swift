/// One application payload received from an authenticated peer.
public struct PeerMessage: Sendable, Equatable {
    /// The validator that sent it (authenticated by the handshake).
    public var from: PeerID
    /// The payload exactly as the sender passed it to `send`.
    public var bytes: [UInt8]

    /// Wraps a sender and a payload.
    public init(from: PeerID, bytes: [UInt8]) {
        self.from = from
        self.bytes = bytes
    }
}
