/// Why a JSON text was refused; every case names the byte offset where parsing stopped.
public enum JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The document is `byteCount` bytes, more than `limit`; nothing was parsed.
    case tooLarge(byteCount: Int, limit: Int)
    /// The bytes at or after `offset` are not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// An array or object at `offset` nests deeper than `limit` levels.
    case tooDeep(offset: Int, limit: Int)
    /// The array or object ending its entries at `offset` has more than `limit` of them.
    case tooManyEntries(offset: Int, limit: Int)
    /// The object key at `offset` already appeared in the same object.
    case duplicateKey(offset: Int, key: String)
    /// The text breaks the RFC 8259 grammar at `offset`.
    case syntax(offset: Int, detail: String)

    /// The byte offset where parsing stopped (for `tooLarge`, the first byte past the limit).
    public var offset: Int {
        switch self {
        case let .tooLarge(_, limit): limit
        case let .invalidUTF8(offset), let .tooDeep(offset, _), let .tooManyEntries(offset, _),
             let .duplicateKey(offset, _), let .syntax(offset, _): offset
        }
    }

    /// A short machine-readable name of the case (`"too_deep"`), for error data and counters.
    public var reason: String {
        switch self {
        case .tooLarge: "too_large"
        case .invalidUTF8: "invalid_utf8"
        case .tooDeep: "too_deep"
        case .tooManyEntries: "too_many_entries"
        case .duplicateKey: "duplicate_key"
        case .syntax: "syntax"
        }
    }

    /// What went wrong and where, for a person.
    public var description: String {
        switch self {
        case let .tooLarge(byteCount, limit): "JSON text of \(byteCount) bytes; at most \(limit) are accepted"
        case let .invalidUTF8(offset): "JSON text is not valid UTF-8 (byte \(offset))"
        case let .tooDeep(offset, limit): "JSON nests deeper than \(limit) levels (byte \(offset))"
        case let .tooManyEntries(offset, limit): "JSON array or object with more than \(limit) entries (byte \(offset))"
        case let .duplicateKey(offset, key): "JSON object repeats the key \"\(key.prefix(40))\" (byte \(offset))"
        case let .syntax(offset, detail): "invalid JSON at byte \(offset): \(detail)"
        }
    }
}
