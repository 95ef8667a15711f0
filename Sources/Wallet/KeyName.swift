/// A validated key name: it becomes a file name, so it can never hold a path separator or escape the folder.
///
/// Rule: 1–64 characters of `A–Z a–z 0–9 . _ -`, not starting with `.` or `-`.
public struct KeyName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name as typed.
    public let value: String

    /// Validates `text`.
    public init(_ text: String) throws(KeystoreError) {
        if let reason = KeyName.problem(with: text) { throw .invalidName(text, reason: reason) }
        value = text
    }

    /// `nil` when `text` is a valid name, else why not.
    public static func problem(with text: String) -> String? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return "it is empty" }
        if bytes.count > WalletLimits.keyNameMaxLength { return "it is longer than \(WalletLimits.keyNameMaxLength) characters" }
        if bytes[0] == UInt8(ascii: ".") || bytes[0] == UInt8(ascii: "-") { return "it starts with '.' or '-'" }
        for b in bytes {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            case UInt8(ascii: "/"), UInt8(ascii: "\\"): return "it contains a path separator"
            default: return "it contains a character other than letters, digits, '.', '_' or '-'"
            }
        }
        return nil
    }

    public var description: String { value }

    public static func < (lhs: KeyName, rhs: KeyName) -> Bool { lhs.value < rhs.value }
}
