/// How the RPC server treats its clients: connection caps, the deadlines of a request, and which `Host` and
/// `Origin` headers it serves. The defaults are `RPCLimits`'; a node sets the policy lists from its config and
/// tests shorten the deadlines so a timeout takes a second, not a minute.
public struct RPCServerConfiguration: Sendable {
    /// Most open TCP connections (`RPCLimits.maxConnections`); at it, stalled connections are evicted for newcomers.
    public var maxConnections: Int
    /// Most open TCP connections from one source IP address (`RPCLimits.maxConnectionsPerAddress`).
    public var maxConnectionsPerAddress: Int
    /// Deadline for a whole request head, ms (`RPCLimits.requestHeadTimeoutMs`).
    public var requestHeadTimeoutMs: Int64
    /// Deadline for a whole request body after its head, ms (`RPCLimits.requestBodyTimeoutMs`).
    public var requestBodyTimeoutMs: Int64
    /// Longest idle time of a keep-alive connection between requests, ms (`RPCLimits.idleConnectionTimeoutMs`).
    public var idleConnectionTimeoutMs: Int64
    /// Which `Host` and `Origin` headers are served.
    public var hostPolicy: HostOriginPolicy

    /// A configuration; every value defaults to `RPCLimits`, and the host policy to IP literals and `localhost`
    /// with no browser origin.
    public init(maxConnections: Int = RPCLimits.maxConnections,
                maxConnectionsPerAddress: Int = RPCLimits.maxConnectionsPerAddress,
                requestHeadTimeoutMs: Int64 = RPCLimits.requestHeadTimeoutMs,
                requestBodyTimeoutMs: Int64 = RPCLimits.requestBodyTimeoutMs,
                idleConnectionTimeoutMs: Int64 = RPCLimits.idleConnectionTimeoutMs,
                hostPolicy: HostOriginPolicy = HostOriginPolicy()) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.requestHeadTimeoutMs = requestHeadTimeoutMs
        self.requestBodyTimeoutMs = requestBodyTimeoutMs
        self.idleConnectionTimeoutMs = idleConnectionTimeoutMs
        self.hostPolicy = hostPolicy
    }
}
