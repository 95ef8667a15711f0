import CSodium

/// An Ed25519 public key (32 bytes), validated where it enters.
///
/// A `PublicKey` value always holds a canonical encoding of a point of prime order:
/// off-curve, non-canonical and low-order keys are refused by `init(bytes:)`, so a
/// peer cannot make every signature "verify" with a small-order key.
public struct PublicKey: Hashable, Sendable, Comparable, CustomStringConvertible, BitwiseCopyable {
    /// Number of bytes in a public key.
    public static let byteCount = 32

    @usableFromInline
    var storage: InlineBytes32

    init(storage: InlineBytes32) { self.storage = storage }

    /// Validates and wraps 32 bytes.
    public init<Bytes: Collection>(bytes: Bytes) throws(CryptoError) where Bytes.Element == UInt8 {
        guard bytes.count == PublicKey.byteCount else {
            throw .invalidLength(what: "public key", expected: PublicKey.byteCount, actual: bytes.count)
        }
        Sodium.ensureReady()
        var s = InlineBytes32()
        var i = 0
        for b in bytes { s[i] = b; i += 1 }
        // The point check is pure and as costly as a signature check; positive answers are
        // remembered process-wide (`ValidatedKeyMemo`), negative ones never.
        if !ValidatedKeyMemo.shared.contains(s) {
            let valid = Swift.withUnsafeBytes(of: s) { p in
                crypto_core_ed25519_is_valid_point(p.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
            }
            guard valid else { throw .invalidPublicKey }
            ValidatedKeyMemo.shared.insert(s)
        }
        storage = s
    }

    /// Parses and validates 64 hex characters.
    public init(hex: String) throws(CryptoError) {
        guard let bytes = Hex.decode(hex) else { throw .invalidHex }
        try self.init(bytes: bytes)
    }

    /// The 32 bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lowercase hex form.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    /// Feeds the 32 bytes to the hasher as four words (cheaper than 32 single bytes; same equality).
    public func hash(into hasher: inout Hasher) {
        Swift.withUnsafeBytes(of: storage) { raw in
            for i in 0..<4 { hasher.combine(raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        }
    }

    /// Calls `body` with the raw 32 bytes.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { try body($0) }
    }

    /// `true` if `signature` is a valid Ed25519 signature of `message` under this key.
    /// Non-canonical signatures are rejected (libsodium's strict verification).
    public func isValidSignature(_ signature: Signature, for message: UnsafeRawBufferPointer) -> Bool {
        Sodium.ensureReady()
        return withUnsafeBytes { pk in
            signature.withUnsafeBytes { sig in
                crypto_sign_verify_detached(
                    sig.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                    pk.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
            }
        }
    }

    /// `true` if `signature` is a valid Ed25519 signature of `message` under this key.
    public func isValidSignature(_ signature: Signature, for message: [UInt8]) -> Bool {
        message.withUnsafeBytes { isValidSignature(signature, for: $0) }
    }

    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool {
        for i in 0..<32 where lhs.storage[i] != rhs.storage[i] {
            return lhs.storage[i] < rhs.storage[i]
        }
        return false
    }
}
