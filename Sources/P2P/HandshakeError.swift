import LedgerCrypto

/// Why a peer's handshake was refused. Every case closes the connection and is counted
/// under `reason` in `PeerNetworkMetrics.handshakeFailures`.
public enum HandshakeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The peer speaks another version of the P2P protocol.
    case protocolVersionMismatch(ours: UInt16, theirs: UInt16)
    /// The peer runs another chain (its chain id differs from ours).
    case chainMismatch(ours: String, theirs: String)
    /// The peer has the same chain id but a different genesis (its genesis hash differs).
    case genesisMismatch(ours: Digest, theirs: Digest)
    /// The peer claims a validator id that is not in the current validator set (never was, or left it in a
    /// validator-set change).
    case unknownValidator(PeerID)
    /// The peer claims a validator id but sent another key than the current set holds for it (an impostor, or a
    /// peer on the other side of a validator-set change: re-keyed, or its index shifted).
    case wrongValidatorKey(PeerID)
    /// A full node that this node does not serve (a validator with full nodes off, not on its list, or full).
    case fullNodeNotServed(String)
    /// The peer claims to be this very node.
    case impersonatesUs(PeerID)
    /// We dialled one validator and another one answered.
    case unexpectedPeer(expected: PeerID, actual: PeerID)
    /// The transcript signature does not verify under the validator's key in the current set: the peer
    /// holds another key, or replays a recorded handshake.
    case badSignature(PeerID)
    /// The peer's ephemeral X25519 key is low-order, so the shared secret would be predictable.
    case weakEphemeralKey(PeerID)
    /// A handshake message could not be parsed.
    case malformedMessage(String)
    /// A handshake message is longer than the handshake limit.
    case oversizedMessage(bytes: Int, limit: Int)
    /// A handshake message arrived out of order (for example Auth before Hello).
    case unexpectedMessage(String)
    /// The handshake did not finish in time.
    case timedOut(milliseconds: Int64)
    /// The peer closed the connection before the handshake finished.
    case closedByPeer

    /// A short stable label for metrics and logs.
    public var reason: String {
        switch self {
        case .protocolVersionMismatch: return "version"
        case .chainMismatch: return "chain"
        case .genesisMismatch: return "genesis"
        case .unknownValidator: return "unknown_validator"
        case .wrongValidatorKey: return "wrong_key"
        case .fullNodeNotServed: return "full_node_refused"
        case .impersonatesUs: return "impersonation"
        case .unexpectedPeer: return "unexpected_peer"
        case .badSignature: return "bad_signature"
        case .weakEphemeralKey: return "weak_key"
        case .malformedMessage: return "malformed"
        case .oversizedMessage: return "oversized"
        case .unexpectedMessage: return "out_of_order"
        case .timedOut: return "timeout"
        case .closedByPeer: return "closed"
        }
    }

    public var description: String {
        switch self {
        case let .protocolVersionMismatch(ours, theirs):
            return "peer speaks P2P protocol version \(theirs), we speak \(ours); upgrade the older node"
        case let .chainMismatch(ours, theirs):
            return "peer is on chain '\(theirs)', we are on '\(ours)'; check the peer address list in the genesis/config"
        case let .genesisMismatch(ours, theirs):
            return "peer's genesis hash \(theirs.hex.prefix(16))… differs from ours \(ours.hex.prefix(16))…; both nodes must use the same genesis file"
        case let .unknownValidator(id):
            return "peer claims validator id \(id), which is not in the current validator set (never was, or left it at an epoch boundary, or one of us has not switched sets yet); refusing"
        case let .wrongValidatorKey(id):
            return "peer claims validator id \(id) but sent another key than the current validator set holds for that id (an impostor, or a re-keyed or shifted validator while one of us has not switched sets yet); refusing"
        case let .fullNodeNotServed(why):
            return "full node refused: \(why)"
        case let .impersonatesUs(id):
            return "peer claims our own validator id \(id); a misconfigured address points back at us, or an attacker"
        case let .unexpectedPeer(expected, actual):
            return "dialled validator \(expected) but \(actual) answered; the address of \(expected) in the config is wrong"
        case let .badSignature(id):
            return "handshake signature of \(id) does not verify under its key in the current validator set (wrong key or replayed handshake)"
        case let .weakEphemeralKey(id):
            return "validator \(id) sent a low-order ephemeral key; refusing the key exchange"
        case let .malformedMessage(why):
            return "malformed handshake message: \(why)"
        case let .oversizedMessage(bytes, limit):
            return "handshake message of \(bytes) bytes exceeds the limit of \(limit)"
        case let .unexpectedMessage(why):
            return "handshake message out of order: \(why)"
        case let .timedOut(ms):
            return "handshake did not complete within \(ms) ms"
        case .closedByPeer:
            return "peer closed the connection during the handshake"
        }
    }
}
