/// A JSON value: object keys keep their order (stable, readable output) and numbers stay exact.
///
/// An integer the parser reads becomes `.int` when it fits `Int` (64 bits on every platform this package builds
/// for), `.uint` when it is above `Int.max` but fits `UInt64`, and keeps its text as `.number` otherwise (a fraction,
/// an exponent, `-0`, or more digits than 64 bits hold), so nothing is rounded on the way through.
public enum JSONValue: Sendable, Equatable, CustomStringConvertible {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// An integer that fits `Int`.
    case int(Int)
    /// An integer above `Int.max` that fits `UInt64` (the parser uses `.int` for everything `Int` holds).
    case uint(UInt64)
    /// Any other JSON number, as its exact text (`"1.5e-3"`, `"-0"`, `"123456789012345678901234"`).
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object whose keys keep the order given (the parser refuses a key given twice).
    case object([(String, JSONValue)])

    /// Structural equality; `.int` and `.uint` holding the same integer are equal, `.number` compares its text.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.uint(a), .uint(b)): a == b
        case let (.int(a), .uint(b)), let (.uint(b), .int(a)): a >= 0 && UInt64(a) == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// A `UInt64` quantity as a decimal string: the ledger's convention, since JSON readers lose precision above 2^53.
    public static func decimal(_ value: UInt64) -> JSONValue { .string(String(value)) }

    /// A `Double` as a JSON number (the shortest text that reads back exactly); NaN and the infinities, which JSON
    /// cannot write, as `null`.
    public static func double(_ value: Double) -> JSONValue { value.isFinite ? .number("\(value)") : .null }

    /// The value under `key` of an object, if any.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(pairs) = self else { return nil }
        for (k, v) in pairs where k == key { return v }
        return nil
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The boolean, if this is one.
    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// The key/value pairs in order, if this is an object.
    public var objectValue: [(String, JSONValue)]? {
        if case let .object(pairs) = self { return pairs }
        return nil
    }

    /// A `UInt64` from a non-negative JSON integer or a decimal string of digits only (no sign, space or exponent).
    public var uint64Value: UInt64? {
        switch self {
        case let .int(n): n >= 0 ? UInt64(n) : nil
        case let .uint(n): n
        case let .string(s): DecimalParser.uint64(s)
        default: nil
        }
    }

    /// An `Int` from a JSON integer or a decimal string of digits only; `nil` when it does not fit.
    public var intValue: Int? {
        switch self {
        case let .int(n): n
        case let .uint(n): n <= UInt64(Int.max) ? Int(n) : nil
        case let .string(s): DecimalParser.uint64(s).flatMap { $0 <= UInt64(Int.max) ? Int($0) : nil }
        default: nil
        }
    }

    /// A `Double` from any JSON number (the nearest one for text that has more precision).
    public var doubleValue: Double? {
        switch self {
        case let .int(n): Double(n)
        case let .uint(n): Double(n)
        case let .number(text): Double(text)
        default: nil
        }
    }

    /// A copy with `value` under `key` (replacing an existing entry, else appended); a non-object is returned unchanged.
    public func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case var .object(pairs) = self else { return self }
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
        return .object(pairs)
    }

    /// The compact JSON text.
    public var description: String { serialized() }
}
