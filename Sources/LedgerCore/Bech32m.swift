/// Bech32m text encoding (BIP-350): a human-readable prefix, the separator `1`, data in a
/// 32-character alphabet and a 6-character checksum that detects any error in up to 4
/// characters. Used for addresses (`ldg1…`).
public enum Bech32m {
    /// Why a string is not valid bech32m.
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        /// The string has `length` characters; bech32m allows at most 90.
        case tooLong(length: Int)
        /// The character at `position` is outside the allowed set (prefix: ASCII 33–126; data: the bech32 alphabet).
        case invalidCharacter(position: Int)
        /// Upper- and lowercase letters are mixed; use one case only.
        case mixedCase
        /// There is no `1` separating the prefix from the data.
        case missingSeparator
        /// The prefix before the `1` is empty.
        case emptyPrefix
        /// Fewer than 6 characters follow the separator, too few for a checksum.
        case dataTooShort
        /// The checksum does not match: the string was mistyped or is plain bech32 rather than bech32m.
        case invalidChecksum
        /// The data does not convert to whole bytes (leftover bits non-zero or too many).
        case invalidPadding

        /// A message saying what is wrong and how to fix it.
        public var description: String {
            switch self {
            case let .tooLong(length): return "bech32m string has \(length) characters, more than 90"
            case let .invalidCharacter(position): return "invalid character at position \(position)"
            case .mixedCase: return "mixes upper- and lowercase letters"
            case .missingSeparator: return "missing the '1' separator"
            case .emptyPrefix: return "empty human-readable prefix"
            case .dataTooShort: return "too short to hold a checksum"
            case .invalidChecksum: return "checksum mismatch (mistyped, or not bech32m)"
            case .invalidPadding: return "data does not convert to whole bytes"
            }
        }
    }

    static let alphabet: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    /// Maps an ASCII byte to its 5-bit value, or -1.
    static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    /// The bech32m checksum constant (BIP-350).
    static let constant: UInt32 = 0x2bc8_30a3

    static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= generator[i] }
        }
        return chk
    }

    static func expandedPrefix(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Encodes 5-bit `values` under a lowercase `prefix`.
    public static func encode(prefix: String, values: [UInt8]) -> String {
        let hrp = Array(prefix.lowercased().utf8)
        let mod = polymod(expandedPrefix(hrp) + values + [0, 0, 0, 0, 0, 0]) ^ constant
        var out = hrp
        out.append(UInt8(ascii: "1"))
        for v in values { out.append(alphabet[Int(v & 31)]) }
        for i in 0..<6 { out.append(alphabet[Int((mod >> UInt32(5 * (5 - i))) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a bech32m string into its lowercase prefix and 5-bit values (checksum removed).
    public static func decode(_ text: String) throws(Error) -> (prefix: String, values: [UInt8]) {
        let chars = Array(text.utf8)
        if chars.count > 90 { throw .tooLong(length: chars.count) }
        var hasLower = false
        var hasUpper = false
        for (i, c) in chars.enumerated() {
            if c < 33 || c > 126 { throw .invalidCharacter(position: i) }
            if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { hasLower = true }
            if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { hasUpper = true }
        }
        if hasLower && hasUpper { throw .mixedCase }
        let lower = chars.map { ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) ? $0 + 32 : $0 }
        guard let sep = lower.lastIndex(of: UInt8(ascii: "1")) else { throw .missingSeparator }
        if sep == 0 { throw .emptyPrefix }
        if lower.count - sep - 1 < 6 { throw .dataTooShort }
        let hrp = Array(lower[..<sep])
        var values: [UInt8] = []
        values.reserveCapacity(lower.count - sep - 1)
        for i in (sep + 1)..<lower.count {
            let v = reverse[Int(lower[i])]
            if v < 0 { throw .invalidCharacter(position: i) }
            values.append(UInt8(v))
        }
        if polymod(expandedPrefix(hrp) + values) != constant { throw .invalidChecksum }
        return (String(decoding: hrp, as: UTF8.self), Array(values.dropLast(6)))
    }

    /// Regroups 8-bit bytes into 5-bit values, padding the last group with zero bits.
    public static func fiveBitValues<Bytes: Sequence>(fromBytes bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        for b in bytes {
            acc = (acc << 8 | UInt32(b)) & 0xfff
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(UInt8((acc >> UInt32(bits)) & 31))
            }
        }
        if bits > 0 { out.append(UInt8((acc << UInt32(5 - bits)) & 31)) }
        return out
    }

    /// Regroups 5-bit values into bytes; the leftover must be under 5 bits and all zero.
    public static func bytes(fromFiveBitValues values: [UInt8]) throws(Error) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 5 / 8)
        var acc: UInt32 = 0
        var bits = 0
        for v in values {
            if v > 31 { throw .invalidPadding }
            acc = (acc << 5 | UInt32(v)) & 0xfff
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xff))
            }
        }
        if bits >= 5 || acc & ((1 << UInt32(bits)) - 1) != 0 { throw .invalidPadding }
        return out
    }
}
