import LedgerCore
import LedgerCrypto
/// The small binary writer and reader behind the canonical message encoding.
///
/// Big-endian fixed-width integers, length-prefixed byte strings; the reader never traps
/// and reports where input ran out.
struct WireWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((v >> UInt32(s)) & 0xff)) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(s)) & 0xff)) } }
    mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    mutating func digest(_ d: Digest) { d.withUnsafeBytes { bytes.append(contentsOf: $0) } }
    mutating func signature(_ s: Signature) { s.withUnsafeBytes { bytes.append(contentsOf: $0) } }
    mutating func view(_ v: View) { u64(v.rawValue) }
    mutating func seq(_ n: SequenceNumber) { u64(n.rawValue) }
    mutating func replica(_ r: ReplicaID) { u16(UInt16(truncatingIfNeeded: r.index)) }
    /// A byte string with a 32-bit length prefix.
    mutating func blob(_ b: [UInt8]) { u32(UInt32(truncatingIfNeeded: b.count)); bytes.append(contentsOf: b) }
    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
}

struct WireReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8]) { self.bytes = bytes; offset = 0 }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ k: Int) throws(PBFTError) -> Range<Int> {
        guard k >= 0, remaining >= k else { throw .truncated(offset: offset, needed: k - remaining) }
        defer { offset += k }
        return offset..<(offset + k)
    }

    mutating func u8() throws(PBFTError) -> UInt8 { bytes[try take(1).lowerBound] }
    mutating func u16() throws(PBFTError) -> UInt16 {
        let r = try take(2)
        return UInt16(bytes[r.lowerBound]) << 8 | UInt16(bytes[r.lowerBound + 1])
    }
    mutating func u32() throws(PBFTError) -> UInt32 {
        var v: UInt32 = 0
        for i in try take(4) { v = v << 8 | UInt32(bytes[i]) }
        return v
    }
    mutating func u64() throws(PBFTError) -> UInt64 {
        var v: UInt64 = 0
        for i in try take(8) { v = v << 8 | UInt64(bytes[i]) }
        return v
    }
    mutating func bool() throws(PBFTError) -> Bool {
        let b = try u8()
        guard b <= 1 else { throw .invalidTag(what: "bool", value: b) }
        return b == 1
    }
    mutating func digest() throws(PBFTError) -> Digest {
        let r = try take(Digest.byteCount)
        return try! Digest(bytes: bytes[r])  // exactly 32 bytes
    }
    mutating func signature() throws(PBFTError) -> Signature {
        let r = try take(Signature.byteCount)
        return try! Signature(bytes: bytes[r])  // exactly 64 bytes
    }
    mutating func view() throws(PBFTError) -> View { View(try u64()) }
    mutating func seq() throws(PBFTError) -> SequenceNumber { SequenceNumber(try u64()) }
    mutating func replica() throws(PBFTError) -> ReplicaID { ReplicaID(Int(try u16())) }
    /// A count prefix (16-bit) checked against `limit` before anything is allocated.
    mutating func count(_ what: String, limit: Int) throws(PBFTError) -> Int {
        let c = Int(try u16())
        guard c <= limit else { throw .countTooLarge(what: what, count: c, limit: limit) }
        return c
    }
    mutating func blob(_ what: String, limit: Int) throws(PBFTError) -> ArraySlice<UInt8> {
        let c = Int(try u32())
        guard c <= limit else { throw .countTooLarge(what: what, count: c, limit: limit) }
        return bytes[try take(c)]
    }
    func finish() throws(PBFTError) {
        guard remaining == 0 else { throw .trailingBytes(count: remaining) }
    }
}
