/// Errors of the session cryptography: ephemeral key exchange and the AEAD that seals frames.
public enum SessionCryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input had `actual` bytes where exactly `expected` are required.
    case invalidLength(what: String, expected: Int, actual: Int)
    /// The peer's ephemeral X25519 key is low-order (or all zero): the shared secret would be
    /// predictable, so the key exchange is refused.
    case weakKeyExchange
    /// A sealed message did not authenticate: it was tampered with, truncated, reordered, or
    /// sealed under a different key or counter.
    case authenticationFailed
    /// The message is longer than the AEAD can seal in one call.
    case messageTooLong(bytes: Int)

    public var description: String {
        switch self {
        case let .invalidLength(what, expected, actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .weakKeyExchange:
            return "peer's ephemeral X25519 key is low-order; refusing the key exchange (the peer is faulty or hostile)"
        case .authenticationFailed:
            return "sealed message failed authentication (tampered, truncated, reordered or wrong key); drop the connection"
        case let .messageTooLong(bytes):
            return "message of \(bytes) bytes is too long for one AEAD seal; split it"
        }
    }
}
