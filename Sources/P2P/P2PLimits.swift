import NIOCore

/// Every bound and timeout of the transport, in one place.
///
/// `standard` is what a node uses; tests shrink the timeouts. `problems` lists violated
/// relations between the values (checked when a `PeerNetwork` is created).
public struct P2PLimits: Sendable, Equatable {
    /// Largest application payload one frame may carry (8 MiB). Bigger sends are refused.
    public var maxPayloadBytes: Int = 8 * 1024 * 1024
    /// Largest handshake message (Hello or Auth). A Hello is at most 234 bytes (with the longest chain id).
    public var maxHandshakeMessageBytes: Int = 512
    /// Longest chain id in bytes (matches LedgerCore's `Limits.chainIDMaxBytes`).
    public var maxChainIDBytes: Int = 64
    /// Most payloads queued for one peer; when full the oldest is dropped and counted.
    public var sendQueueCapacity: Int = 4096
    /// Most payload bytes queued for one peer; when over, the oldest payloads are dropped.
    public var sendQueueMaxBytes: Int = 64 * 1024 * 1024
    /// How long payloads are kept for a peer whose connection is down. A short blip (a reset and
    /// a reconnect) loses nothing; past this, what is queued is dropped and further payloads are
    /// dropped at once until the peer is back, counted in `droppedWhilePeerDown`.
    public var disconnectedQueueRetention: TimeAmount = .seconds(2)
    /// Most payload bytes received from one peer and not yet `consumed` by the application.
    /// Past it the peer's connection is read no further until half of it is consumed (TCP then
    /// slows the sender; nothing is dropped). Must hold at least one maximal payload.
    public var receiveBudgetBytesPerPeer: Int = 16 * 1024 * 1024
    /// Most payloads received from one peer and not yet `consumed` (same rule, by count).
    public var receiveBudgetMessagesPerPeer: Int = 16_384
    /// Threads of the network's own event loop group (when the node passes none): connections are
    /// spread over them, so one busy connection (a handshake flood, a large frame) does not stall
    /// every validator link.
    public var eventLoopThreads: Int = 2
    /// Most validators a genesis may list. Each validator holds one inbound and one outbound
    /// connection here (its inbound slot is reserved: see `InboundAdmission`), so this bounds the
    /// authenticated connections; a larger validator set is refused when the network is created.
    public var maxValidators: Int = 256
    /// Most inbound connections still in the handshake (not yet proven to be a validator) open
    /// at once; when full, the oldest is closed for the newcomer. Never below validators − 1.
    public var maxUnauthenticatedInbound: Int = 32
    /// Most inbound connections in the handshake from one source address (an IPv4 address or an
    /// IPv6 /64); more are closed at once. Never below validators − 1 (validators may share a host).
    public var maxUnauthenticatedPerAddress: Int = 8
    /// Long-run rate of handshakes one source address may start, per second.
    public var handshakesPerSecondPerAddress: Double = 8
    /// Handshakes one source address may start in a burst. Never below 2 × (validators − 1).
    public var handshakeBurstPerAddress: Int = 16
    /// Most source addresses remembered for the handshake rate limit.
    public var maxTrackedAddresses: Int = 4096
    /// A handshake not finished within this time is refused.
    public var handshakeTimeout: TimeAmount = .seconds(5)
    /// An established connection with no authenticated frame for this long is closed.
    public var readIdleTimeout: TimeAmount = .seconds(30)
    /// An established connection with nothing written for this long sends a keep-alive frame.
    public var keepaliveInterval: TimeAmount = .seconds(5)
    /// TCP connect attempts give up after this long.
    public var connectTimeout: TimeAmount = .seconds(5)
    /// First reconnect delay; it doubles per failed attempt.
    public var reconnectBaseDelay: TimeAmount = .milliseconds(200)
    /// Reconnect delays never exceed this.
    public var reconnectMaxDelay: TimeAmount = .seconds(10)

    /// The defaults a node runs with.
    public static let standard = P2PLimits()

    /// Creates the standard limits; change fields with `var` to tune.
    public init() {}

    /// Bytes of sealing overhead per frame: the kind byte plus the AEAD tag.
    static let frameOverheadBytes = 1 + 16

    /// The largest length prefix accepted after the handshake.
    var maxFrameBytes: Int { maxPayloadBytes + P2PLimits.frameOverheadBytes }

    /// Largest single socket read on an inbound connection, and reads per event-loop turn: what
    /// one read burst can bring in after a pause was decided (set on every accepted connection).
    static let readChunkBytes = 64 * 1024
    static let readsPerTurn = 4
    static var readBurstBytes: Int { readChunkBytes * readsPerTurn }

    /// The most memory one authenticated peer can make this node hold in the transport, bytes:
    /// its unconsumed payloads (the receive budget, overshot by at most one read burst and the
    /// frame it completes while the pause takes effect), one frame being assembled, and our send
    /// queue to it.
    public var worstCaseBytesPerPeer: Int {
        receiveBudgetBytesPerPeer + P2PLimits.readBurstBytes + 2 * maxFrameBytes + sendQueueMaxBytes
    }

    /// Relations between the values that do not hold (empty when the limits are usable).
    public var problems: [String] {
        var found: [String] = []
        if maxPayloadBytes <= 0 || maxPayloadBytes > Int(UInt32.max) - P2PLimits.frameOverheadBytes {
            found.append("maxPayloadBytes must be in 1...\(Int(UInt32.max) - P2PLimits.frameOverheadBytes)")
        }
        if maxHandshakeMessageBytes < 1 + 2 + 1 + maxChainIDBytes + 32 + 4 + 32 + 32 + 32 {
            found.append("maxHandshakeMessageBytes must fit a Hello with the longest chain id")
        }
        if maxHandshakeMessageBytes > maxFrameBytes {
            found.append("maxHandshakeMessageBytes must not exceed the frame limit")
        }
        if maxUnauthenticatedInbound < 1 || maxUnauthenticatedPerAddress < 1 || handshakeBurstPerAddress < 1 {
            found.append("maxUnauthenticatedInbound, maxUnauthenticatedPerAddress and handshakeBurstPerAddress must be at least 1")
        }
        if eventLoopThreads < 1 || eventLoopThreads > 64 {
            found.append("eventLoopThreads must be in 1...64")
        }
        if !(handshakesPerSecondPerAddress > 0) || maxTrackedAddresses < 1 || maxValidators < 1 {
            found.append("handshakesPerSecondPerAddress, maxTrackedAddresses and maxValidators must be positive")
        }
        if sendQueueCapacity < 1 || receiveBudgetMessagesPerPeer < 2 {
            found.append("sendQueueCapacity must be at least 1 and receiveBudgetMessagesPerPeer at least 2")
        }
        if receiveBudgetBytesPerPeer < maxPayloadBytes {
            found.append("receiveBudgetBytesPerPeer must hold at least one maximal payload")
        }
        if disconnectedQueueRetention < .zero {
            found.append("disconnectedQueueRetention must not be negative")
        }
        if sendQueueMaxBytes < maxPayloadBytes {
            found.append("sendQueueMaxBytes must hold at least one maximal payload")
        }
        if keepaliveInterval >= readIdleTimeout {
            found.append("keepaliveInterval must be shorter than readIdleTimeout, or idle peers get cut off")
        }
        if handshakeTimeout >= readIdleTimeout {
            found.append("handshakeTimeout must be shorter than readIdleTimeout")
        }
        if reconnectBaseDelay <= .zero || reconnectBaseDelay > reconnectMaxDelay {
            found.append("reconnectBaseDelay must be positive and at most reconnectMaxDelay")
        }
        return found
    }
}
