/// A snapshot of the transport's counters, read with `PeerNetwork.metrics`.
public struct PeerNetworkMetrics: Sendable, Equatable {
    /// Payload frames received from authenticated peers and handed to the application.
    public var framesIn = 0
    /// Payload frames written to outbound connections.
    public var framesOut = 0
    /// Payload bytes received.
    public var bytesIn = 0
    /// Payload bytes written.
    public var bytesOut = 0
    /// Payloads dropped from a full per-peer send queue (oldest first).
    public var sendQueueDrops = 0
    /// Payloads dropped for a peer unreachable longer than `P2PLimits.disconnectedQueueRetention`.
    public var droppedWhilePeerDown = 0
    /// Received payloads dropped because the application's stream ended (shutdown).
    public var receiveQueueDrops = 0
    /// Times a peer's reads were paused because its unconsumed payloads passed the receive budget.
    public var readPauses = 0
    /// Payload bytes received and not yet consumed, over all peers (a gauge; see `PeerNetwork.consumed`).
    public var receivePendingBytes = 0
    /// The most memory the transport can hold for all peers together, bytes
    /// (`P2PLimits.worstCaseBytesPerPeer` × the other validators).
    public var worstCaseBytes = 0
    /// Sends refused because the payload exceeds `P2PLimits.maxPayloadBytes` or the peer is unknown.
    public var sendsRefused = 0
    /// Inbound connections closed unread before any handshake work (per-address cap or handshake
    /// rate limit; see `InboundAdmission`), total and by `InboundAdmission.Refusal` reason.
    public var inboundRefused = 0
    /// `inboundRefused` by reason.
    public var inboundRefusals: [String: Int] = [:]
    /// Unauthenticated inbound connections closed to make room for a newer one.
    public var inboundEvicted = 0
    /// Outbound connection attempts started (first attempts and reconnects).
    public var connectAttempts = 0
    /// Connections closed by `PeerNetwork.replaceValidatorSet`: links to peers that left the set or whose id or
    /// key changed (all of them when our own id or key changed), and inbound handshakes that straddled a change.
    public var closedBySetChange = 0
    /// Payloads dropped because they arrived on a connection no longer current for its peer (closed by a
    /// validator-set change, or replaced by a newer connection of the same peer) — possibly from the id's old holder.
    public var staleConnectionDrops = 0
    /// Outbound connections established, by validator (each reconnection counts again).
    public var outboundEstablished: [PeerID: Int] = [:]
    /// Refused or failed handshakes, by `HandshakeError.reason`.
    public var handshakeFailures: [String: Int] = [:]
    /// Established connections closed for a frame error, by `TransportError.reason`.
    public var frameFailures: [String: Int] = [:]
    /// Peers our outbound connection is established to (we can send to them).
    public var connectedOutbound: Set<PeerID> = []
    /// Peers whose connection to us is established (we receive from them).
    public var connectedInbound: Set<PeerID> = []
    /// Full nodes connected to us (a validator sends them committed blocks over their connection).
    public var connectedFullNodes: Set<PeerID> = []
    /// Full nodes refused after their handshake because `FullNodePolicy.maxConnected` were connected.
    public var fullNodesRefusedFull = 0

    /// Creates an all-zero snapshot.
    public init() {}

    /// Total refused or failed handshakes.
    public var totalHandshakeFailures: Int { handshakeFailures.values.reduce(0, +) }
}
