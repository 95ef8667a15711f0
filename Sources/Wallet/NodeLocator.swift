import Foundation
import LedgerJSON

/// Decides which node the wallet talks to when `--node` is not given.
public enum NodeLocator {
    /// Where no testnet and no setting says otherwise: the local testnet's first node's RPC port.
    public static let fallbackURL = "http://127.0.0.1:26700"

    /// `--node` if given, else `LEDGER_NODE`, else the first node in the local testnet's `nodes.json`
    /// (`$TESTNET_DIR/nodes.json`, or `.testnet/nodes.json` in `currentDirectory`), else `fallbackURL`.
    public static func resolve(option: String?, environment: [String: String], currentDirectory: String) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["LEDGER_NODE"], !env.isEmpty { return env }
        var candidates: [String] = []
        if let dir = environment["TESTNET_DIR"], !dir.isEmpty {
            candidates.append((dir.hasPrefix("/") ? dir : currentDirectory + "/" + dir) + "/nodes.json")
        }
        candidates.append(currentDirectory + "/.testnet/nodes.json")
        for path in candidates {
            if let url = firstNodeURL(nodesFile: path) { return url }
        }
        return fallbackURL
    }

    /// The `rpc` of the entry with the lowest `id` in a testnet `nodes.json`, or `nil`.
    public static func firstNodeURL(nodesFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20,
            let doc = try? JSONValue.parse(Array(data), limits: JSONLimits(maxDepth: 8)), let nodes = doc.arrayValue
        else { return nil }
        let entries = nodes.compactMap { n -> (Int, String)? in
            guard let rpc = n["rpc"]?.stringValue else { return nil }
            return (n["id"]?.intValue ?? Int.max, rpc)
        }
        return entries.min { $0.0 < $1.0 }?.1
    }
}
