/// Errors raised where bytes from outside become keys, signatures or digests.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input had `actual` bytes where exactly `expected` are required.
    case invalidLength(what: String, expected: Int, actual: Int)
    /// The bytes are not a canonical, prime-order Ed25519 point (includes low-order points).
    case invalidPublicKey
    /// The text is not lowercase or uppercase hexadecimal of even length.
    case invalidHex
    /// Argon2id could not derive a key with this cost (outside libsodium's range, or the
    /// `memLimitBytes` it asks for could not be allocated).
    case keyDerivationFailed(memLimitBytes: UInt64)
    /// A sealed message did not authenticate: wrong key, nonce or associated data, or a
    /// changed ciphertext.
    case authenticationFailed

    public var description: String {
        switch self {
        case let .invalidLength(what, expected, actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .invalidPublicKey:
            return "public key is not a valid Ed25519 point (non-canonical, off-curve or low-order)"
        case .invalidHex:
            return "not a hexadecimal string of even length"
        case let .keyDerivationFailed(memLimitBytes):
            return "Argon2id key derivation failed (memlimit \(memLimitBytes) bytes): out of libsodium's range or out of memory"
        case .authenticationFailed:
            return "sealed data failed authentication (wrong key, nonce or associated data, or changed ciphertext)"
        }
    }
}
