/// Appends the canonical binary encoding: fixed-width big-endian integers, raw fixed-size
/// keys/digests/signatures, and length-prefixed byte strings.
///
/// The writer never checks bounds; the types that use it only hold values already within
/// `Limits`, so what they write always decodes.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Starts an empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written so far.
    public var count: Int { bytes.count }

    /// Makes room for `minimumCapacity` bytes in all, so the appends that follow do not reallocate.
    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        bytes.reserveCapacity(minimumCapacity)
    }

    /// Appends one byte.
    public mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends `0` or `1`.
    public mutating func write(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// Appends 2 bytes, big-endian.
    public mutating func write(_ value: UInt16) {
        Swift.withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends 4 bytes, big-endian.
    public mutating func write(_ value: UInt32) {
        Swift.withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends 8 bytes, big-endian.
    public mutating func write(_ value: UInt64) {
        Swift.withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw bytes with no length prefix.
    public mutating func writeRaw<Bytes: Sequence>(_ raw: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: raw)
    }

    /// Appends raw bytes with no length prefix.
    public mutating func writeRaw(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }

    /// Appends a 32-byte digest.
    public mutating func write(_ digest: Digest) {
        digest.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// Appends a 32-byte public key.
    public mutating func write(_ key: PublicKey) {
        key.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// Appends a 64-byte signature.
    public mutating func write(_ signature: Signature) {
        signature.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// Appends a one-byte length then the bytes. The caller guarantees `raw.count <= 255`.
    public mutating func writeShortBytes<Bytes: Collection>(_ raw: Bytes) where Bytes.Element == UInt8 {
        bytes.append(UInt8(truncatingIfNeeded: raw.count))
        bytes.append(contentsOf: raw)
    }

    /// Appends a two-byte big-endian length then the bytes. The caller guarantees `raw.count <= 65535`.
    public mutating func writeMediumBytes<Bytes: Collection>(_ raw: Bytes) where Bytes.Element == UInt8 {
        write(UInt16(truncatingIfNeeded: raw.count))
        bytes.append(contentsOf: raw)
    }
}
