/// Reads the canonical binary encoding from a borrowed buffer without copying it.
///
/// Every read checks the remaining length first and throws `DecodingError.truncated`
/// instead of trapping; lengths are checked against their bound and against the bytes left
/// before anything is allocated, so a peer cannot make us reserve memory it did not send.
///
/// A reader borrows its buffer: use it only inside the `withUnsafeBytes` call that produced
/// the buffer (see `ByteReader.decode(_:_:)`, which does this for you).
public struct ByteReader {
    /// The whole input.
    public let buffer: UnsafeRawBufferPointer

    /// Offset of the next unread byte.
    public private(set) var offset: Int

    /// Starts reading `buffer` at offset 0.
    public init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
        self.offset = 0
    }

    /// Bytes not read yet.
    @inlinable
    public var remaining: Int { buffer.count - offset }

    /// Runs `body` over `bytes` and requires it to consume every byte.
    public static func decode<T>(
        _ bytes: [UInt8], _ body: (inout ByteReader) throws(DecodingError) -> T
    ) throws(DecodingError) -> T {
        try decode(bytes, mappingErrors: { $0 }, body)
    }

    /// Runs `body` over `bytes` and requires it to consume every byte, for a caller whose
    /// decoders throw their own error type: `map` turns leftover bytes into it.
    public static func decode<T, Failure: Error>(
        _ bytes: [UInt8], mappingErrors map: (DecodingError) -> Failure, _ body: (inout ByteReader) throws(Failure) -> T
    ) throws(Failure) -> T {
        let result: Result<T, Failure> = bytes.withUnsafeBytes { raw in
            Result { () throws(Failure) -> T in
                var reader = ByteReader(raw)
                let value = try body(&reader)
                do throws(DecodingError) { try reader.finish() } catch { throw map(error) }
                return value
            }
        }
        return try result.get()
    }

    /// Throws `trailingBytes` unless every byte has been read.
    public func finish() throws(DecodingError) {
        if remaining != 0 { throw .trailingBytes(offset: offset, count: remaining) }
    }

    /// Throws `truncated` unless `count` bytes remain.
    @inlinable
    public func require(_ count: Int, _ field: @autoclosure () -> String) throws(DecodingError) {
        if count > remaining {
            throw .truncated(field: field(), offset: offset, needed: count, remaining: remaining)
        }
    }

    /// Reads one byte.
    public mutating func readUInt8(_ field: @autoclosure () -> String) throws(DecodingError) -> UInt8 {
        try require(1, field())
        let v = buffer[offset]
        offset += 1
        return v
    }

    /// Reads a 2-byte big-endian integer.
    public mutating func readUInt16(_ field: @autoclosure () -> String) throws(DecodingError) -> UInt16 {
        try require(2, field())
        let v = buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        offset += 2
        return UInt16(bigEndian: v)
    }

    /// Reads a 4-byte big-endian integer.
    public mutating func readUInt32(_ field: @autoclosure () -> String) throws(DecodingError) -> UInt32 {
        try require(4, field())
        let v = buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset += 4
        return UInt32(bigEndian: v)
    }

    /// Reads an 8-byte big-endian integer.
    public mutating func readUInt64(_ field: @autoclosure () -> String) throws(DecodingError) -> UInt64 {
        try require(8, field())
        let v = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        return UInt64(bigEndian: v)
    }

    /// Reads a bool encoded as exactly `0` or `1`; any other byte is non-canonical.
    public mutating func readBool(_ field: @autoclosure () -> String) throws(DecodingError) -> Bool {
        let start = offset
        let b = try readUInt8(field())
        switch b {
        case 0: return false
        case 1: return true
        default:
            offset = start
            throw .invalidTag(field: field(), offset: start, found: b, allowed: [0, 1])
        }
    }

    /// Reads a version byte and requires it to equal `supported`.
    public mutating func readVersion(_ supported: UInt8, _ field: @autoclosure () -> String) throws(DecodingError) {
        let start = offset
        let v = try readUInt8(field() + ".version")
        if v != supported {
            throw .unsupportedVersion(field: field(), offset: start, found: v, supported: supported)
        }
    }

    /// Borrows the next `count` bytes without copying.
    public mutating func readRaw(_ count: Int, _ field: @autoclosure () -> String) throws(DecodingError) -> UnsafeRawBufferPointer {
        try require(count, field())
        let slice = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
        offset += count
        return slice
    }

    /// Reads a length prefix (1, 2 or 4 bytes wide) and checks it against `maximum` and the
    /// bytes left (`minimumElementBytes` each), before the caller allocates anything.
    public mutating func readLength(
        width: Int, maximum: Int, minimumElementBytes: Int = 1, _ field: @autoclosure () -> String
    ) throws(DecodingError) -> Int {
        let start = offset
        let length: Int
        switch width {
        case 1: length = Int(try readUInt8(field()))
        case 2: length = Int(try readUInt16(field()))
        default: length = Int(try readUInt32(field()))
        }
        if length > maximum {
            throw .lengthTooLarge(field: field(), offset: start, length: length, maximum: maximum)
        }
        let (needed, overflow) = length.multipliedReportingOverflow(by: max(minimumElementBytes, 0))
        if overflow || needed > remaining {
            throw .truncated(field: field(), offset: offset, needed: overflow ? Int.max : needed, remaining: remaining)
        }
        return length
    }

    /// Reads a 32-byte digest.
    public mutating func readDigest(_ field: @autoclosure () -> String) throws(DecodingError) -> Digest {
        return RawBytes.digest(try readRaw(Digest.byteCount, field()))
    }

    /// Reads a 64-byte signature (any 64 bytes; validity is checked by verification).
    public mutating func readSignature(_ field: @autoclosure () -> String) throws(DecodingError) -> Signature {
        return RawBytes.signature(try readRaw(Signature.byteCount, field()))
    }

    /// Reads and validates a 32-byte Ed25519 public key.
    public mutating func readPublicKey(_ field: @autoclosure () -> String) throws(DecodingError) -> PublicKey {
        let start = offset
        let raw = try readRaw(PublicKey.byteCount, field())
        do {
            return try PublicKey(bytes: raw)
        } catch {
            throw .invalidPublicKey(field: field(), offset: start)
        }
    }
}
