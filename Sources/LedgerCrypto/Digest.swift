/// A 32-byte BLAKE2b-256 digest, stored inline (no heap allocation).
///
/// Ordering is lexicographic by byte, so sorted digests are the same on every replica.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, BitwiseCopyable {
    /// Number of bytes in a digest.
    public static let byteCount = 32

    @usableFromInline
    var storage: InlineBytes32

    /// The all-zero digest, used as the parent of the first block.
    public static let zero = Digest(storage: InlineBytes32(repeating: 0))

    @usableFromInline
    init(storage: InlineBytes32) { self.storage = storage }

    /// Builds a digest from exactly 32 bytes.
    public init<Bytes: Collection>(bytes: Bytes) throws(CryptoError) where Bytes.Element == UInt8 {
        guard bytes.count == Digest.byteCount else {
            throw .invalidLength(what: "digest", expected: Digest.byteCount, actual: bytes.count)
        }
        var s = InlineBytes32()
        var i = 0
        for b in bytes { s[i] = b; i += 1 }
        storage = s
    }

    /// Parses 64 hex characters.
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

    public static func < (lhs: Digest, rhs: Digest) -> Bool {
        for i in 0..<32 where lhs.storage[i] != rhs.storage[i] {
            return lhs.storage[i] < rhs.storage[i]
        }
        return false
    }
}
