/// The `net_info` result: this node's P2P listener and its links to the other validators.
public struct NetInfo: Sendable, Equatable {
    /// Whether the P2P listener is up.
    public var isListening: Bool
    /// The configured P2P listen address (`host:port`).
    public var p2pListen: String
    /// Every other validator.
    public var peers: [PeerStatus]

    /// A result from its fields.
    public init(isListening: Bool, p2pListen: String, peers: [PeerStatus]) {
        self.isListening = isListening
        self.p2pListen = p2pListen
        self.peers = peers
    }
}

/// One other validator as seen from this node.
public struct PeerStatus: Sendable, Equatable {
    /// The validator id.
    public var id: Int
    /// Its P2P address from genesis.
    public var address: String
    /// Whether our outbound link to it is authenticated and up.
    public var isOutboundConnected: Bool
    /// Whether it holds an authenticated inbound link to us.
    public var isInboundConnected: Bool

    /// A peer from its fields.
    public init(id: Int, address: String, isOutboundConnected: Bool, isInboundConnected: Bool) {
        self.id = id
        self.address = address
        self.isOutboundConnected = isOutboundConnected
        self.isInboundConnected = isInboundConnected
    }
}
