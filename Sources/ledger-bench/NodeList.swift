import BenchSupport
import Foundation
import LedgerCore
import LedgerJSON

/// One node of the network under test, as `scripts/testnet` and `scripts/bench` write it to `nodes.json`:
/// `{"id":0,"rpc":"http://127.0.0.1:26700","p2p":"127.0.0.1:26600","pid":1234,"home":"…/node0","log":"…/node.log"}`
/// (the namespace network's `nodes.json` adds `role`, `namespace` and `address`; the bench passes only validators).
struct NodeEntry: Sendable {
    /// Validator id.
    var id: Int
    /// JSON-RPC URL (`http://host:port`).
    var rpc: String
    /// RPC host.
    var host: String
    /// RPC port.
    var port: Int
    /// Process id (0 = unknown: no CPU/RSS figures, no kill).
    var pid: Int32
    /// The node's home folder (genesis.json, config.json), if given.
    var home: String?
    /// Its log file, if given.
    var log: String?

    /// Reads the nodes file at `path`.
    static func load(path: String) throws(LoadError) -> [NodeEntry] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .nodesFile(path: path, reason: "\(error.localizedDescription)")
        }
        guard let array = (try? JSONValue.parse(Array(data)))?.arrayValue, !array.isEmpty else {
            throw .nodesFile(path: path, reason: "expected a non-empty JSON array of {\"id\",\"rpc\",\"pid\",…}")
        }
        var nodes: [NodeEntry] = []
        for (i, o) in array.enumerated() {
            guard let rpc = o["rpc"]?.stringValue else { throw .nodesFile(path: path, reason: "entry \(i) has no \"rpc\" URL") }
            guard let parsed = URL(string: rpc.hasPrefix("http") ? rpc : "http://\(rpc)"), let host = parsed.host,
                  let port = parsed.port else {
                throw .nodesFile(path: path, reason: "entry \(i): rpc \"\(rpc)\" is not http://HOST:PORT")
            }
            guard BenchHost.isOnThisMachine(host) else {
                throw .nodesFile(path: path, reason: "entry \(i): rpc host \(host) is neither loopback nor a namespace "
                                 + "address in 198.18.0.0/15 (the bench measures this machine only)")
            }
            nodes.append(NodeEntry(
                id: o["id"]?.intValue ?? i, rpc: "http://\(host):\(port)", host: host, port: port,
                pid: o["pid"]?.intValue.flatMap { Int32(exactly: $0) } ?? 0, home: o["home"]?.stringValue, log: o["log"]?.stringValue))
        }
        return nodes
    }

    /// The consensus section of the node's genesis.json and its config's `db_synchronous`, for the report.
    func chainParameters() -> (consensus: JSONValue, dbSynchronous: String) {
        guard let home else { return (.object([]), "unknown") }
        func object(_ file: String) -> JSONValue? {
            guard let data = FileManager.default.contents(atPath: (home as NSString).appendingPathComponent(file)) else { return nil }
            // A genesis may list up to `Limits.genesisAccountsMax` accounts in up to `Limits.genesisFileMaxBytes`.
            return try? JSONValue.parse(Array(data), limits: JSONLimits(maxBytes: Limits.genesisFileMaxBytes, maxDepth: 64,
                                                                        maxEntries: Limits.genesisAccountsMax))
        }
        let consensus = object("genesis.json")?["consensus"] ?? .object([])
        // NodeConfig's default is "normal" (WAL, fsync at checkpoints) when the key is absent.
        let sync = object("config.json")?["db_synchronous"]?.stringValue ?? "normal"
        return (consensus, sync)
    }
}
