/// Where a node's JSON-RPC server listens: `http://HOST:PORT/PATH` or `https://HOST:PORT/PATH`.
public struct RPCEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// Host name or IP address (IPv6 without brackets).
    public var host: String
    /// TCP port.
    public var port: Int
    /// Request path (at least "/").
    public var path: String

    /// Parses `http[s]://host[:port][/path]`; a bare `host:port` is taken as http. The port defaults to 80
    /// for http and 443 for https.
    public init(url: String) throws(RPCClientError) {
        var rest = Substring(url.trimmingCharacters(in: " \t\n"))
        scheme = "http"
        if let r = RPCEndpoint.schemeSeparator(in: rest) {
            scheme = rest[rest.startIndex..<r.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else {
                throw .invalidURL(url, reason: "scheme '\(scheme)' is not supported; use http://HOST:PORT or https://HOST:PORT")
            }
            rest = rest[r.upperBound...]
        }
        let slash = rest.firstIndex(of: "/")
        let authority = slash.map { rest[rest.startIndex..<$0] } ?? rest
        path = slash.map { String(rest[$0...]) } ?? "/"
        guard !authority.isEmpty else { throw .invalidURL(url, reason: "no host") }
        if authority.contains("@") { throw .invalidURL(url, reason: "user information is not supported") }
        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(url, reason: "unclosed '[' in host") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL(url, reason: "unexpected text after ']'") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[authority.startIndex..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }
        guard !hostPart.isEmpty else { throw .invalidURL(url, reason: "no host") }
        host = String(hostPart)
        if let portPart {
            guard let p = Int(portPart), (1...65_535).contains(p) else {
                throw .invalidURL(url, reason: "port '\(portPart)' is not a number in 1…65535")
            }
            port = p
        } else {
            port = scheme == "https" ? 443 : 80
        }
        if let q = path.firstIndex(of: "#") { path = String(path[path.startIndex..<q]) }
        if path.isEmpty { path = "/" }
        if path.contains(where: { $0 == " " || $0.isNewline }) { throw .invalidURL(url, reason: "spaces in the path") }
    }

    private static func schemeSeparator(in s: Substring) -> Range<Substring.Index>? {
        var i = s.startIndex
        while i < s.endIndex {
            if s[i...].hasPrefix("://") { return i..<s.index(i, offsetBy: 3) }
            i = s.index(after: i)
        }
        return nil
    }

    /// The URL as the user can paste it back.
    public var url: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(h):\(port)\(path)"
    }

    public var description: String { url }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}
