import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import PBFT
import RPC

/// `config.json` in a node home: where the node listens and keeps its data.
public struct NodeConfig: Codable, Sendable, Equatable {
    /// `host:port` the P2P listener binds to.
    public var p2pListen: String
    /// `host:port` the JSON-RPC server binds to.
    public var rpcListen: String
    /// The SQLite ledger, relative to the home unless absolute.
    public var dbPath: String
    /// The genesis file, relative to the home unless absolute.
    public var genesisFile: String
    /// The validator key file, relative to the home unless absolute.
    public var keyFile: String
    /// trace, debug, info, notice, warning, error or critical.
    public var logLevel: String
    /// Block durability: "normal" (default; WAL, survives a process crash, a power loss may lose the last blocks,
    /// which state transfer fetches again) or "full" (fsync every block). The consensus log is always fsynced.
    public var dbSynchronous: String?
    /// Optional dial-address overrides: validator id (decimal text) → `host:port` this node dials instead of the
    /// genesis `p2p_address` (e.g. a fault-injecting proxy on that link). The peer is still authenticated by its
    /// genesis key, so an override can only reroute, never impersonate.
    public var peers: [String: String]?
    /// How many of its batches that are not full this node, as primary, keeps uncommitted before it holds the next
    /// one for a commit (1...64; default `PBFTLimits.defaultPartialBatchDepth`). Lower gives bigger batches and more
    /// throughput under load, higher a little less latency at mid load. Local policy: validators may differ.
    public var partialBatchDepth: Int?
    /// Host names the JSON-RPC server answers besides IP addresses and `localhost` (DNS-rebinding protection; `"*"`
    /// answers every name, e.g. behind a proxy that checks them). Default: none.
    public var rpcAllowedHosts: [String]?
    /// Browser origins (`https://app.example`) whose requests the JSON-RPC server answers; a request carrying any
    /// other `Origin` header is refused 403 (keeps web pages from driving the node). Default: none.
    public var rpcAllowedOrigins: [String]?
    /// Most JSON-RPC connections open from one IP address, loopback included (default
    /// `RPCLimits.maxConnectionsPerAddress`); raise it for a benchmark with many connections from one machine.
    public var rpcMaxConnectionsPerAddress: Int?
    /// Transactions per second of gossip one peer may make this node decode and verify; past it the
    /// peer's gossip is dropped undecoded and counted (default `NodeLimits.gossipBudgetTransactionsPerSecond`,
    /// decision 0009). Raise it on a network that commits more than twice that per second.
    public var gossipBudgetTxPerSecond: Int?
    /// Bytes per second of the same budget (default `NodeLimits.gossipBudgetBytesPerSecond`).
    public var gossipBudgetBytesPerSecond: Int?
    /// `"validator"` or `"full"` (a non-voting node that follows the chain and serves RPC). Absent: a validator
    /// when the key is in the genesis validator set, otherwise a full node (said in the log at start).
    public var role: String?
    /// On a validator: most full nodes connected at once (default `NodeLimits.fullNodePeersMax`; 0 refuses all).
    public var maxFullNodes: Int?
    /// On a validator: when set, only full nodes with these public keys (hex) may connect.
    public var fullNodes: [String]?

    enum CodingKeys: String, CodingKey {
        case p2pListen = "p2p_listen", rpcListen = "rpc_listen", dbPath = "db_path", genesisFile = "genesis_file"
        case keyFile = "key_file", logLevel = "log_level", dbSynchronous = "db_synchronous"
        case peers, partialBatchDepth = "partial_batch_depth"
        case rpcAllowedHosts = "rpc_allowed_hosts", rpcAllowedOrigins = "rpc_allowed_origins"
        case rpcMaxConnectionsPerAddress = "rpc_max_connections_per_address"
        case gossipBudgetTxPerSecond = "gossip_budget_tx_per_second", gossipBudgetBytesPerSecond = "gossip_budget_bytes_per_second"
        case role, maxFullNodes = "max_full_nodes", fullNodes = "full_nodes"
    }

    /// A config from its values.
    public init(p2pListen: String, rpcListen: String, dbPath: String = "data/ledger.sqlite",
                genesisFile: String = "genesis.json", keyFile: String = "node_key.json", logLevel: String = "info",
                dbSynchronous: String? = "normal", peers: [String: String]? = nil, partialBatchDepth: Int? = nil) {
        self.p2pListen = p2pListen; self.rpcListen = rpcListen; self.dbPath = dbPath
        self.genesisFile = genesisFile; self.keyFile = keyFile; self.logLevel = logLevel
        self.dbSynchronous = dbSynchronous; self.peers = peers; self.partialBatchDepth = partialBatchDepth
    }

    /// The parsed `peers` overrides: validator index → (host, port); `nil` if an entry is unusable.
    public var peerOverrides: [Int: (host: String, port: Int)]? {
        var out: [Int: (host: String, port: Int)] = [:]
        for (id, address) in peers ?? [:] {
            guard let index = Int(id), index >= 0, let hp = NodeConfig.hostPort(address) else { return nil }
            out[index] = hp
        }
        return out
    }

    /// Splits `host:port` (host may be `[v6]`); `nil` if it is not one.
    public static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard NetworkAddress.problem(with: text) == nil, let colon = text.lastIndex(of: ":"),
              let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// The RPC server's connection caps and Host/Origin policy from this config (deadlines: `RPCLimits`).
    public var rpcServerConfiguration: RPCServerConfiguration {
        RPCServerConfiguration(
            maxConnectionsPerAddress: rpcMaxConnectionsPerAddress ?? RPCLimits.maxConnectionsPerAddress,
            hostPolicy: HostOriginPolicy(allowedHosts: rpcAllowedHosts ?? [], allowedOrigins: rpcAllowedOrigins ?? []))
    }

    /// The store configuration the config asks for.
    public var storeConfiguration: StoreConfiguration {
        StoreConfiguration(synchronous: dbSynchronous == "full" ? .full : .normal)
    }

    /// The parsed log level.
    public var level: Logger.Level? { Logger.Level(rawValue: logLevel) }

    /// Throws the first unusable value.
    public func validate(path: String) throws(NodeError) {
        if NodeConfig.hostPort(p2pListen) == nil {
            throw .invalidConfig(path: path, reason: "p2p_listen '\(p2pListen)' is not host:port (e.g. 0.0.0.0:26600)")
        }
        if NodeConfig.hostPort(rpcListen) == nil {
            throw .invalidConfig(path: path, reason: "rpc_listen '\(rpcListen)' is not host:port (e.g. 127.0.0.1:26700)")
        }
        if dbPath.isEmpty { throw .invalidConfig(path: path, reason: "db_path is empty") }
        if let sync = dbSynchronous, sync != "normal", sync != "full" {
            throw .invalidConfig(path: path, reason: "db_synchronous '\(sync)' must be \"normal\" or \"full\"")
        }
        for (id, address) in peers ?? [:] {
            guard let index = Int(id), index >= 0 else {
                throw .invalidConfig(path: path, reason: "peers key '\(id)' is not a validator id (0, 1, …)")
            }
            if NodeConfig.hostPort(address) == nil {
                throw .invalidConfig(path: path, reason: "peers[\(index)] '\(address)' is not host:port (e.g. 127.0.0.1:29400)")
            }
        }
        if let depth = partialBatchDepth, !(1...PBFTLimits.maxPartialBatchDepth).contains(depth) {
            throw .invalidConfig(path: path, reason: "partial_batch_depth \(depth) must be 1...\(PBFTLimits.maxPartialBatchDepth)")
        }
        if let cap = rpcMaxConnectionsPerAddress, !(1...RPCLimits.maxConnections).contains(cap) {
            throw .invalidConfig(path: path, reason: "rpc_max_connections_per_address \(cap) must be 1...\(RPCLimits.maxConnections)")
        }
        for (key, rate) in [("gossip_budget_tx_per_second", gossipBudgetTxPerSecond), ("gossip_budget_bytes_per_second", gossipBudgetBytesPerSecond)] {
            if let rate, !(1...NodeLimits.gossipBudgetMaxRate).contains(rate) {
                throw .invalidConfig(path: path, reason: "\(key) \(rate) must be 1...\(NodeLimits.gossipBudgetMaxRate)")
            }
        }
        for host in rpcAllowedHosts ?? [] where host.isEmpty || host.contains("/") || host.contains(":") || host.contains(" ") {
            throw .invalidConfig(path: path, reason: "rpc_allowed_hosts entry '\(host)' must be a host name without scheme or port (e.g. node.example.org)")
        }
        for origin in rpcAllowedOrigins ?? [] where origin != "*" && !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
            throw .invalidConfig(path: path, reason: "rpc_allowed_origins entry '\(origin)' must be scheme://host[:port] (e.g. https://app.example.org) or *")
        }
        if let role, role != NodeRole.validator.rawValue, role != NodeRole.full.rawValue {
            throw .invalidConfig(path: path, reason: "role '\(role)' must be \"validator\" or \"full\"")
        }
        if let keys = fullNodes {
            if keys.count > NodeLimits.fullNodePeersCeiling {
                throw .invalidConfig(path: path, reason: "full_nodes lists \(keys.count) keys, more than \(NodeLimits.fullNodePeersCeiling)")
            }
            for key in keys where (try? PublicKey(hex: key)) == nil {
                throw .invalidConfig(path: path, reason: "full_nodes entry '\(key.prefix(80))' is not an Ed25519 public key in hex (64 digits)")
            }
        }
        if let cap = maxFullNodes, !(0...NodeLimits.fullNodePeersCeiling).contains(cap) {
            throw .invalidConfig(path: path, reason: "max_full_nodes \(cap) must be 0...\(NodeLimits.fullNodePeersCeiling)")
        }
        if level == nil {
            throw .invalidConfig(
                path: path, reason: "log_level '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// Reads and validates `path`.
    public static func load(path: String) throws(NodeError) -> NodeConfig {
        let data = try NodeFiles.read(path)
        let config: NodeConfig
        do {
            config = try JSONDecoder().decode(NodeConfig.self, from: data)
        } catch {
            throw .invalidConfig(path: path, reason: NodeFiles.describe(error))
        }
        try config.validate(path: path)
        return config
    }

    /// Writes the config as pretty JSON.
    public func write(path: String) throws(NodeError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try NodeFiles.write(try encoder.encode(self), to: path, mode: 0o644)
        } catch let e as NodeError { throw e } catch { throw .file(path: path, reason: "\(error)") }
    }
}
