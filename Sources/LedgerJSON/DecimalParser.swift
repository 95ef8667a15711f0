/// Strict decimal parsing of unsigned quantities: the ledger writes every `UInt64` as a decimal string in JSON.
public enum DecimalParser {
    /// Digits only (no sign, spaces, underscores or exponent), at most `UInt64.max`; `nil` otherwise.
    public static func uint64(_ text: some StringProtocol) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20 else { return nil }
        var value: UInt64 = 0
        for c in text.utf8 {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = a
        }
        return value
    }
}
