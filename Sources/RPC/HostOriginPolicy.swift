/// Which `Host` and `Origin` request headers the RPC server serves, so a web page in the operator's browser cannot
/// drive a node it can reach.
///
/// Two attacks are stopped. **DNS rebinding**: a page on `evil.example` makes its own name resolve to 127.0.0.1
/// and calls the node as a same-origin request; the browser then sends `Host: evil.example`. A node serves only
/// hosts that are IP literals, `localhost`, or listed in `allowedHosts`. **Cross-site requests (CSRF)**: a page on
/// any origin POSTs to `http://127.0.0.1:26700`; the browser adds `Origin: https://that.page`. A node serves a
/// request with an `Origin` header only when that origin is listed in `allowedOrigins` (none by default).
/// Non-browser clients (the wallet, curl, the benchmarks) send no `Origin` and an IP or `localhost` host. A listed
/// origin also gets CORS headers (`corsAllowedOrigin`, applied by `CORSHeaders`), so its page can read the answers.
public struct HostOriginPolicy: Sendable, Equatable {
    /// Host names served besides IP literals and `localhost` (lowercase, no port); `"*"` serves every host.
    public let allowedHosts: Set<String>
    /// Browser origins served (`scheme://host[:port]`, lowercase); `"*"` serves every origin.
    public let allowedOrigins: Set<String>

    /// A policy serving IP literals, `localhost` and `allowedHosts`, and requests with an `Origin` only from
    /// `allowedOrigins`. Entries are compared case-insensitively.
    public init(allowedHosts: [String] = [], allowedOrigins: [String] = []) {
        self.allowedHosts = Set(allowedHosts.map { Self.normalizedHost($0) })
        self.allowedOrigins = Set(allowedOrigins.map { Self.normalizedOrigin($0) })
    }

    /// Why a request with this `Host` (authority, may carry a port; `nil` when absent) and `Origin` header is
    /// refused — a stable `reason` for metrics and the error to send — or `nil` when it is served. A request
    /// without `Host` is served: browsers always send one.
    public func refusal(host authority: String?, origin: String?) -> (reason: String, error: RPCError)? {
        if let authority, !isServed(host: Self.hostPart(of: authority)) {
            return ("host_not_allowed", .forbidden(
                reason: "host_not_allowed",
                message: "Host '\(authority)' is not served: this node answers requests addressed to an IP address or localhost; "
                    + "the operator can allow a name with --rpc-allowed-hosts (this refusal protects against DNS rebinding)"))
        }
        if let origin, !allowedOrigins.contains("*"), !allowedOrigins.contains(Self.normalizedOrigin(origin)) {
            return ("origin_not_allowed", .forbidden(
                reason: "origin_not_allowed",
                message: "requests from web pages (Origin '\(origin)') are not served; the operator can allow an origin with "
                    + "--rpc-allowed-origins (this refusal keeps web pages from driving a local node)"))
        }
        return nil
    }

    /// The value of `Access-Control-Allow-Origin` for a request with this `Origin` header: the origin exactly as the
    /// browser sent it when it is listed (or `"*"` is), else `nil` (no CORS headers). Never `*` itself, and never
    /// the opaque origin `null` (sandboxed frames, `file:` pages), which any page can put itself behind.
    public func corsAllowedOrigin(_ origin: String?) -> String? {
        guard let origin, origin != "*", origin.lowercased() != "null" else { return nil }
        return allowedOrigins.contains("*") || allowedOrigins.contains(Self.normalizedOrigin(origin)) ? origin : nil
    }

    private func isServed(host: String) -> Bool {
        let name = Self.normalizedHost(host)
        return name == "localhost" || Self.isIPLiteral(name) || allowedHosts.contains(name) || allowedHosts.contains("*")
    }

    /// The host of an authority: `[v6]:port` → `[v6]`, `name:port` → `name`.
    static func hostPart(of authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[...close])
        }
        if let colon = authority.lastIndex(of: ":"), authority[authority.index(after: colon)...].allSatisfy(\.isASCIIDigit) {
            return String(authority[..<colon])
        }
        return authority
    }

    /// A dotted-quad IPv4 address or a bracketed IPv6 address.
    static func isIPLiteral(_ host: String) -> Bool {
        if host.hasPrefix("["), host.hasSuffix("]") {
            let inner = host.dropFirst().dropLast()
            return inner.contains(":") && inner.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && Int(p).map { $0 <= 255 } == true
        }
    }

    static func normalizedHost(_ host: String) -> String {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    static func normalizedOrigin(_ origin: String) -> String {
        var text = origin.lowercased()
        if text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

extension Character {
    /// 0-9 only (not other Unicode digits).
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
