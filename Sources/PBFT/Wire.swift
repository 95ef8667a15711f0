import LedgerCore
import LedgerCrypto

/// PBFT's vocabulary on the one binary codec (`ByteWriter` / `ByteReader`, LedgerCrypto):
/// views and sequence numbers as 8 bytes, replica ids and counts as 2, batches behind a
/// 4-byte length, all big-endian; every decoding failure becomes a `PBFTError`.
extension ByteWriter {
    /// Appends a view (8 bytes).
    mutating func write(_ view: View) { write(view.rawValue) }
    /// Appends a sequence number (8 bytes).
    mutating func write(_ sequence: SequenceNumber) { write(sequence.rawValue) }
    /// Appends a replica id (2 bytes; ids are below `PBFTLimits.maxReplicaCount`).
    mutating func write(_ replica: ReplicaID) { write(UInt16(truncatingIfNeeded: replica.index)) }
    /// Appends a byte string behind a 32-bit length.
    mutating func writeBlob(_ blob: [UInt8]) {
        write(UInt32(truncatingIfNeeded: blob.count))
        writeRaw(blob)
    }
}

extension ByteReader {
    /// Reads one byte.
    mutating func u8() throws(PBFTError) -> UInt8 {
        do throws(DecodingError) { return try readUInt8("byte") } catch { throw PBFTError(error) }
    }
    /// Reads a 2-byte integer.
    mutating func u16() throws(PBFTError) -> UInt16 {
        do throws(DecodingError) { return try readUInt16("u16") } catch { throw PBFTError(error) }
    }
    /// Reads a 4-byte integer.
    mutating func u32() throws(PBFTError) -> UInt32 {
        do throws(DecodingError) { return try readUInt32("u32") } catch { throw PBFTError(error) }
    }
    /// Reads an 8-byte integer.
    mutating func u64() throws(PBFTError) -> UInt64 {
        do throws(DecodingError) { return try readUInt64("u64") } catch { throw PBFTError(error) }
    }
    /// Reads a flag written as exactly 0 or 1.
    mutating func bool() throws(PBFTError) -> Bool {
        do throws(DecodingError) { return try readBool("bool") } catch { throw PBFTError(error) }
    }
    /// Reads a 32-byte digest.
    mutating func digest() throws(PBFTError) -> Digest {
        do throws(DecodingError) { return try readDigest("digest") } catch { throw PBFTError(error) }
    }
    /// Reads a 64-byte signature (any bytes; verification checks it).
    mutating func signature() throws(PBFTError) -> Signature {
        do throws(DecodingError) { return try readSignature("signature") } catch { throw PBFTError(error) }
    }
    /// Reads a view.
    mutating func view() throws(PBFTError) -> View { View(try u64()) }
    /// Reads a sequence number.
    mutating func seq() throws(PBFTError) -> SequenceNumber { SequenceNumber(try u64()) }
    /// Reads a replica id.
    mutating func replica() throws(PBFTError) -> ReplicaID { ReplicaID(Int(try u16())) }

    /// Reads a 16-bit count and checks it against `limit` and the bytes left (each entry takes
    /// at least one) before the caller reserves anything.
    mutating func count(_ what: String, limit: Int) throws(PBFTError) -> Int {
        do throws(DecodingError) {
            return try readLength(width: 2, maximum: limit, minimumElementBytes: 0, what)
        } catch {
            throw PBFTError(error)
        }
    }

    /// Reads a byte string behind a 32-bit length of at most `limit`, copied out of the borrowed buffer.
    mutating func blob(_ what: String, limit: Int) throws(PBFTError) -> [UInt8] {
        do throws(DecodingError) {
            let length = try readLength(width: 4, maximum: limit, what)
            return [UInt8](try readRaw(length, what))
        } catch {
            throw PBFTError(error)
        }
    }
}

extension PBFTError {
    /// The consensus error for a failure of the shared reader.
    init(_ error: DecodingError) {
        switch error {
        case let .truncated(_, offset, needed, remaining): self = .truncated(offset: offset, needed: needed - remaining)
        case let .trailingBytes(_, count): self = .trailingBytes(count: count)
        case let .lengthTooLarge(field, _, length, maximum): self = .countTooLarge(what: field, count: length, limit: maximum)
        case let .invalidTag(field, _, found, _): self = .invalidTag(what: field, value: found)
        default: self = .malformed(error.description)
        }
    }
}
