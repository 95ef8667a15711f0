/// Failures of the transport after (or outside) the handshake. Frame failures close the
/// connection and are counted under `reason` in `PeerNetworkMetrics.frameFailures`.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A length prefix announced a frame bigger than the limit; closed before allocating it.
    case frameTooLarge(length: Int, limit: Int)
    /// A frame failed AEAD authentication (tampered, replayed, reordered or wrong key).
    case frameAuthenticationFailed
    /// A frame opened correctly but its content is not a known frame kind.
    case malformedFrame(String)
    /// The 64-bit frame counter of one direction is used up; the connection must be renewed.
    case counterExhausted
    /// No authenticated frame arrived within the read-idle timeout.
    case readTimeout(milliseconds: Int64)
    /// The peer sent a payload on a connection that only carries our sends.
    case unexpectedPayload
    /// The configuration cannot work; the message names the field.
    case invalidConfiguration(String)
    /// The operation needs a started network (`start()` not called or already shut down).
    case notRunning

    /// A short stable label for metrics and logs.
    public var reason: String {
        switch self {
        case .frameTooLarge: return "oversized"
        case .frameAuthenticationFailed: return "authentication"
        case .malformedFrame: return "malformed"
        case .counterExhausted: return "counter_exhausted"
        case .readTimeout: return "read_timeout"
        case .unexpectedPayload: return "unexpected_payload"
        case .invalidConfiguration: return "configuration"
        case .notRunning: return "not_running"
        }
    }

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit):
            return "frame length prefix \(length) exceeds the limit of \(limit) bytes; closing the connection"
        case .frameAuthenticationFailed:
            return "frame failed authentication (tampered, replayed or wrong key); closing the connection"
        case let .malformedFrame(why):
            return "malformed frame: \(why)"
        case .counterExhausted:
            return "frame counter exhausted after 2^64-1 frames; reconnect to get fresh keys"
        case let .readTimeout(ms):
            return "no frame from the peer for \(ms) ms; closing the connection"
        case .unexpectedPayload:
            return "peer sent a payload on our outbound connection, which only carries our sends"
        case let .invalidConfiguration(why):
            return "invalid P2P configuration: \(why)"
        case .notRunning:
            return "the peer network is not running; call start() first"
        }
    }
}
