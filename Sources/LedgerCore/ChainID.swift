/// Rules for chain ids, which name a network inside every signed transaction and message.
///
/// A chain id is 1–64 ASCII characters from `[a-z0-9._-]`, starting with `[a-z0-9]`
/// (for example `ledger-testnet`). Only one spelling of each id exists, so two nodes never
/// disagree on whether a transaction belongs to their chain.
public enum ChainID {
    /// `nil` when `chainID` is valid, otherwise what is wrong with it.
    public static func problem(with chainID: String) -> String? {
        var text = chainID
        return text.withUTF8 { problem(withBytes: UnsafeRawBufferPointer($0)) }
    }

    /// `nil` when the raw bytes are a valid chain id, otherwise what is wrong with them.
    public static func problem(withBytes bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.count < Limits.chainIDMinBytes { return "chain id is empty" }
        if bytes.count > Limits.chainIDMaxBytes {
            return "chain id is \(bytes.count) bytes, longer than \(Limits.chainIDMaxBytes)"
        }
        for (i, c) in bytes.enumerated() {
            let alnum = (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            if alnum { continue }
            if i > 0 && (c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")) { continue }
            return i == 0
                ? "chain id must start with a lowercase letter or digit (byte \(c) at position 0)"
                : "chain id may contain only a-z, 0-9, '.', '_' and '-' (byte \(c) at position \(i))"
        }
        return nil
    }
}
