/// Why a request body is not acceptable JSON; the message names the byte offset where it went wrong.
public enum JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not valid UTF-8 (at or after `offset`).
    case invalidUTF8(offset: Int)
    /// Arrays/objects nest deeper than `limit`.
    case tooDeep(limit: Int)
    /// The text breaks the JSON grammar at `offset`.
    case syntax(offset: Int, detail: String)

    public var description: String {
        switch self {
        case let .invalidUTF8(offset): "body is not valid UTF-8 (byte \(offset))"
        case let .tooDeep(limit): "JSON nests deeper than \(limit) levels"
        case let .syntax(offset, detail): "invalid JSON at byte \(offset): \(detail)"
        }
    }
}
