import ArgumentParser
import Foundation
import LedgerJSON
import Wallet

/// `wallet block [HEIGHT]`.
struct BlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "block", abstract: "Show a block (default: the latest).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Block height (default: latest).") var height: String?

    func run() async throws {
        let h = try height.map { t throws(WalletError) in try InputParsing.uint64(t, what: "height") }
        let node = try global.makeNode()
        let params: JSONValue = h.map { .object([("height", .decimal($0))]) } ?? .object([])
        let block = try await node.call("block", params)
        if global.json { Output.printJSON(block); return }
        let header = block["header"] ?? .object([])
        var lines = [
            "height:    \(header["height"]?.uint64Value.map(String.init) ?? "?")",
            "hash:      \(block["hash"]?.stringValue ?? "?")",
            "prev_hash: \(header["prev_hash"]?.stringValue ?? "?")",
            "time:      \(formatTime(header["timestamp"]?.uint64Value))",
            "view:      \(header["view"]?.uint64Value.map(String.init) ?? "?")   proposer: \(header["proposer"]?.intValue.map(String.init) ?? "?")",
            "tx_root:   \(header["tx_root"]?.stringValue ?? "?")",
            "txs:       \(block["txs"]?.arrayValue?.count ?? 0)",
        ]
        let receipts = block["receipts"]?.arrayValue ?? []
        for (i, tx) in (block["txs"]?.arrayValue ?? []).enumerated() {
            let r = receipts.first { $0["tx_hash"] == tx["hash"] }
            let status = r?["status"]?.stringValue ?? "?"
            let reason = r?["reason"]?.stringValue.map { " (\($0))" } ?? ""
            lines.append("  [\(i)] \(tx["hash"]?.stringValue ?? "?") \(tx["from"]?.stringValue ?? "?") -> \(tx["to"]?.stringValue ?? "?") "
                + "amount \(tx["amount"]?.stringValue ?? "?") nonce \(tx["nonce"]?.stringValue ?? "?") \(status)\(reason)")
        }
        print(lines.joined(separator: "\n"))
    }
}

/// `wallet status`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the node's chain, height and view.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let node = try global.makeNode()
        let s = try await node.status()
        if global.json { Output.printJSON(s.setting("node", .string(node.url))); return }
        let peers = s["connected_peers"]?.arrayValue?.compactMap { $0.intValue }.map(String.init).joined(separator: ",")
        print("""
            node:        \(node.url) (\(s["node_id"]?.intValue.map { "validator \($0)" } ?? (s["role"]?.stringValue == "full" ? "full node" : "validator ?")))
            chain:       \(s["chain_id"]?.stringValue ?? "?")
            height:      \(s["height"]?.uint64Value.map(String.init) ?? "?")
            latest hash: \(s["latest_block_hash"]?.stringValue ?? "?")
            latest time: \(formatTime(s["latest_block_time"]?.uint64Value))
            view:        \(s["view"]?.uint64Value.map(String.init) ?? "?") (primary \(s["primary"]?.intValue.map(String.init) ?? "?"))\
            \(s["changing_view"]?.boolValue == true ? ", changing view" : "")
            catching up: \(s["catching_up"]?.boolValue.map { $0 ? "yes" : "no" } ?? "?")
            peers:       \(s["peers"]?.intValue.map(String.init) ?? "?")\(peers.map { " [\($0)]" } ?? "")
            mempool:     \(s["mempool_size"]?.intValue.map(String.init) ?? "?")
            """)
    }
}

/// Milliseconds since the epoch as an ISO-8601 UTC time, or "?".
func formatTime(_ ms: UInt64?) -> String {
    guard let ms, ms < UInt64(1) << 50 else { return "?" }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}
