/// Where a validator listens for peer connections.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port (0 when binding means "any free port").
    public var port: Int

    /// Wraps a host and a port.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}
