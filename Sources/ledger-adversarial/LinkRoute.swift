import Node

/// One route of a link proxy: where it listens, where it forwards each accepted connection, and
/// (optionally) the local address its upstream connections leave from.
struct LinkRoute: Sendable, Equatable {
    /// The route's name in counters and logs (`0->1`); defaults to `listen->target`.
    var name: String
    /// Listening host (an IP address) and port.
    var listenHost: String
    var listenPort: Int
    /// The real address each accepted connection is relayed to.
    var targetHost: String
    var targetPort: Int
    /// Local address the upstream connection binds to before connecting (so the target sees one
    /// source address per sending node), or nil for the kernel's choice.
    var sourceHost: String?

    /// A loopback route `127.0.0.1:listenPort → 127.0.0.1:targetPort` (the link proxy's tests).
    static func loopback(name: String, listenPort: Int, targetPort: Int) -> LinkRoute {
        LinkRoute(name: name, listenHost: "127.0.0.1", listenPort: listenPort, targetHost: "127.0.0.1", targetPort: targetPort)
    }

    /// Most routes one routes file may list (a 64-node network has 64·63).
    static let maxRoutes = 4_096

    /// Parses a routes file: one route a line, `LISTEN [->|→] TARGET [name=NAME] [source=HOST]`
    /// (`host:port` each); blank lines and text after `#` are ignored. Listen addresses must be
    /// distinct, names too.
    static func parse(file text: String) throws(LinkRouteError) -> [LinkRoute] {
        var routes: [LinkRoute] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
                .map(String.init).filter { $0 != "->" && $0 != "→" }
            if words.isEmpty { continue }
            guard words.count >= 2 else { throw .malformed(line: lineNumber, reason: "needs LISTEN and TARGET (host:port each)") }
            guard let listen = NodeConfig.hostPort(words[0]) else {
                throw .malformed(line: lineNumber, reason: "listen '\(words[0])' is not host:port")
            }
            guard let target = NodeConfig.hostPort(words[1]) else {
                throw .malformed(line: lineNumber, reason: "target '\(words[1])' is not host:port")
            }
            var route = LinkRoute(name: "\(words[0])->\(words[1])", listenHost: listen.host, listenPort: listen.port,
                                  targetHost: target.host, targetPort: target.port)
            for option in words.dropFirst(2) {
                if option.hasPrefix("name="), option.count > 5, option.count <= 64 {
                    route.name = String(option.dropFirst(5))
                } else if option.hasPrefix("source="), option.count > 7 {
                    route.sourceHost = String(option.dropFirst(7))
                } else {
                    throw .malformed(line: lineNumber, reason: "unknown option '\(option)' (name=NAME up to 64 chars, source=HOST)")
                }
            }
            if routes.contains(where: { $0.listenHost == route.listenHost && $0.listenPort == route.listenPort }) {
                throw .malformed(line: lineNumber, reason: "listen \(words[0]) is already used by an earlier route")
            }
            if routes.contains(where: { $0.name == route.name }) {
                throw .malformed(line: lineNumber, reason: "name '\(route.name)' is already used by an earlier route")
            }
            routes.append(route)
            if routes.count > maxRoutes { throw .malformed(line: lineNumber, reason: "more than \(maxRoutes) routes") }
        }
        if routes.isEmpty { throw .empty }
        return routes
    }
}

/// Why a routes file was refused.
enum LinkRouteError: Error, Equatable, CustomStringConvertible {
    /// A line is not `LISTEN -> TARGET [name=…] [source=…]`.
    case malformed(line: Int, reason: String)
    /// The file lists no route.
    case empty

    var description: String {
        switch self {
        case let .malformed(line, reason): "routes file line \(line): \(reason)"
        case .empty: "the routes file lists no route (one a line: LISTEN -> TARGET [name=NAME] [source=HOST])"
        }
    }
}
