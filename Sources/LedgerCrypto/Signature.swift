/// An Ed25519 signature (64 bytes), stored inline.
///
/// Any 64 bytes form a `Signature`; validity is decided only by `PublicKey.isValidSignature`.
public struct Signature: Hashable, Sendable, CustomStringConvertible, BitwiseCopyable {
    /// Number of bytes in a signature.
    public static let byteCount = 64

    @usableFromInline
    var storage: InlineBytes64

    init(storage: InlineBytes64) { self.storage = storage }

    /// Wraps exactly 64 bytes.
    public init<Bytes: Collection>(bytes: Bytes) throws(CryptoError) where Bytes.Element == UInt8 {
        guard bytes.count == Signature.byteCount else {
            throw .invalidLength(what: "signature", expected: Signature.byteCount, actual: bytes.count)
        }
        var s = InlineBytes64()
        var i = 0
        for b in bytes { s[i] = b; i += 1 }
        storage = s
    }

    /// Parses 128 hex characters.
    public init(hex: String) throws(CryptoError) {
        guard let bytes = Hex.decode(hex) else { throw .invalidHex }
        try self.init(bytes: bytes)
    }

    /// An all-zero placeholder (never valid); used before signing and by fault injection.
    public static let zero = Signature(storage: InlineBytes64(repeating: 0))

    /// The 64 bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lowercase hex form.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    /// Calls `body` with the raw 64 bytes.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage) { try body($0) }
    }
}
