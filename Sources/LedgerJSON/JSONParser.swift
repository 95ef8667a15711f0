/// A strict RFC 8259 recursive-descent parser over UTF-8 bytes. Bounded by `JSONLimits` (size, depth, entries per
/// container), refuses duplicate object keys, and never traps: every malformed input becomes a `JSONError`.
struct JSONParser {
    private let bytes: [UInt8]
    private let limits: JSONLimits
    /// `limits.maxDepth`, at most `JSONLimits.depthCeiling`.
    private let maxDepth: Int
    private var index = 0

    init(bytes: [UInt8], limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
        maxDepth = min(limits.maxDepth, JSONLimits.depthCeiling)
    }

    /// Parses the one value the bytes hold, with nothing but white space around it.
    mutating func parseDocument() throws(JSONError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(byteCount: bytes.count, limit: limits.maxBytes) }
        let value = try parseValue(depth: 0)
        skipSpace()
        guard index == bytes.count else { throw syntax("trailing characters after the JSON value") }
        return value
    }

    private func syntax(_ detail: String) -> JSONError {
        // A stray byte ≥ 0x80 outside a string is reported as the encoding problem it usually is.
        if index < bytes.count, bytes[index] >= 0x80, String(validating: bytes[index...], as: UTF8.self) == nil {
            return .invalidUTF8(offset: index)
        }
        return .syntax(offset: index, detail: detail)
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func literal(_ text: StaticString, _ value: JSONValue) throws(JSONError) -> JSONValue {
        let count = text.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw syntax("truncated literal") }
        let matches = text.withUTF8Buffer { t in
            for i in 0..<count where bytes[index + i] != t[i] { return false }
            return true
        }
        guard matches else { throw syntax("unknown literal") }
        index += count
        return value
    }

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        skipSpace()
        guard index < bytes.count else { throw syntax("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw .tooDeep(offset: index, limit: maxDepth) }
            return try parseArray(depth: depth + 1)
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw .tooDeep(offset: index, limit: maxDepth) }
            return try parseObject(depth: depth + 1)
        default:
            return try parseNumber()
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        index += 1  // [
        var items: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            guard items.count < limits.maxEntries else { throw .tooManyEntries(offset: index, limit: limits.maxEntries) }
            items.append(try parseValue(depth: depth))
            skipSpace()
            guard index < bytes.count else { throw syntax("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw syntax("expected ',' or ']'")
        }
    }

    /// Objects up to this many keys look for a repeated key by scanning; bigger ones keep a set.
    private static let linearKeyScan = 8

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        index += 1  // {
        var pairs: [(String, JSONValue)] = []
        var keys: Set<String> = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
        while true {
            guard pairs.count < limits.maxEntries else { throw .tooManyEntries(offset: index, limit: limits.maxEntries) }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw syntax("expected a string key") }
            let keyOffset = index
            let key = try parseString()
            if pairs.count < Self.linearKeyScan {
                for (k, _) in pairs where k == key { throw .duplicateKey(offset: keyOffset, key: key) }
            } else {
                if keys.isEmpty { keys = Set(pairs.map(\.0)) }
                guard keys.insert(key).inserted else { throw .duplicateKey(offset: keyOffset, key: key) }
            }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw syntax("expected ':'") }
            index += 1
            pairs.append((key, try parseValue(depth: depth)))
            skipSpace()
            guard index < bytes.count else { throw syntax("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
            throw syntax("expected ',' or '}'")
        }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// RFC 8259 number grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    private mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = index
        let isNegative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if isNegative { index += 1 }
        let intStart = index
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        let intDigits = index - intStart
        guard intDigits > 0 else { index = start; throw syntax("expected a value") }
        guard intDigits == 1 || bytes[intStart] != UInt8(ascii: "0") else { throw syntax("leading zero in a number") }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let f = index
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
            guard index > f else { throw syntax("expected digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let e = index
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
            guard index > e else { throw syntax("expected exponent digits") }
        }
        if isInteger, intDigits <= 20, let exact = exactInteger(digits: intStart..<index, isNegative: isNegative) {
            return exact
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    /// The integer the digits spell as `.int` or `.uint`, or `nil` when 64 bits do not hold it exactly (or it is `-0`).
    private func exactInteger(digits: Range<Int>, isNegative: Bool) -> JSONValue? {
        var magnitude: UInt64 = 0
        for i in digits {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] &- 0x30))
            if o1 || o2 { return nil }
            magnitude = a
        }
        if !isNegative { return magnitude <= UInt64(Int.max) ? .int(Int(magnitude)) : .uint(magnitude) }
        if magnitude == 0 { return nil }
        if magnitude <= UInt64(Int.max) { return .int(-Int(magnitude)) }
        return magnitude == UInt64(Int.max) + 1 ? .int(Int.min) : nil
    }

    private mutating func parseString() throws(JSONError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                guard let s = String(validating: bytes[start..<index], as: UTF8.self) else {
                    throw .invalidUTF8(offset: start)
                }
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw syntax("control character in a string") }
            index += 1
        }
        var out: [UInt8] = Array(bytes[start..<min(index, bytes.count)])
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            if b == UInt8(ascii: "\"") {
                guard let s = String(validating: out, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
                return s
            }
            if b < 0x20 { index -= 1; throw syntax("control character in a string") }
            if b != UInt8(ascii: "\\") { out.append(b); continue }
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var code = hex4() else { throw syntax("bad \\u escape") }
                if (0xD800..<0xDC00).contains(code) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    else { throw syntax("unpaired surrogate in \\u escape") }
                    index += 2
                    guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { throw syntax("unpaired surrogate in \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                // A lone low surrogate is no scalar.
                guard let scalar = Unicode.Scalar(code) else { throw syntax("unpaired surrogate in \\u escape") }
                out.append(contentsOf: String(scalar).utf8)
            default: index -= 1; throw syntax("unknown escape")
            }
        }
        throw syntax("unterminated string")
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 {
            let b = bytes[index + i]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        index += 4
        return v
    }
}

extension JSONValue {
    /// Parses one JSON document (RFC 8259) within `limits`, or says why it is not acceptable.
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = JSONLimits()) throws(JSONError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, limits: limits)
        return try parser.parseDocument()
    }

    /// Parses one JSON document given as text within `limits`.
    public static func parse(_ text: String, limits: JSONLimits = JSONLimits()) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }
}
