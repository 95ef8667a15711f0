/// Syntax check for `host:port` strings in the genesis.
///
/// The host is a DNS name or IPv4 address (`[A-Za-z0-9.-]`, no leading/trailing dot or dash)
/// or an IPv6 address in brackets (`[::1]`); the port is a decimal number 1...65535 without
/// leading zeros. Names are not resolved here.
public enum NetworkAddress {
    /// `nil` when `text` is a well-formed `host:port`, otherwise what is wrong.
    public static func problem(with text: String) -> String? {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return "empty" }
        if bytes.count > Limits.networkAddressMaxBytes { return "longer than \(Limits.networkAddressMaxBytes) bytes" }
        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")) else { return "missing ':port'" }
        let host = bytes[..<colon]
        let port = bytes[(colon + 1)...]
        if port.isEmpty || port.count > 5 { return "port must be 1 to 5 digits" }
        var value = 0
        for c in port {
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return "port must be decimal digits" }
            value = value * 10 + Int(c - UInt8(ascii: "0"))
        }
        if port.first == UInt8(ascii: "0") || value < 1 || value > 65535 {
            return "port must be 1...65535 without leading zeros"
        }
        if host.isEmpty { return "empty host" }
        if host.first == UInt8(ascii: "[") {
            guard host.count > 2, host.last == UInt8(ascii: "]") else { return "unterminated '[' in IPv6 host" }
            for c in host.dropFirst().dropLast() {
                let ok = c == UInt8(ascii: ":") || c == UInt8(ascii: ".") || isHexDigit(c)
                if !ok { return "IPv6 host may contain only hex digits, ':' and '.'" }
            }
            return nil
        }
        for c in host {
            let ok = isAlphanumeric(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
            if !ok { return "host may contain only letters, digits, '.' and '-' (IPv6 needs brackets)" }
        }
        let edges: Set<UInt8> = [UInt8(ascii: "."), UInt8(ascii: "-")]
        if edges.contains(host.first!) || edges.contains(host.last!) { return "host must not start or end with '.' or '-'" }
        return nil
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f"))
            || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
            || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }
}
