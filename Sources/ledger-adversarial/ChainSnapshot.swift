import Foundation
import LedgerCore
import LedgerCrypto
import Wallet

/// One block as an honest node's `block` RPC reports it.
struct BlockView: Sendable {
    var height: UInt64
    var hash: String
    var previousHash: String
    var batchDigest: String
    var txCount: Int
    /// (hash, raw hex) of each transaction.
    var txs: [(hash: String, raw: String)]
    /// Receipt status per transaction hash ("success" / "failed").
    var receipts: [String: String]
}

/// Everything the checks read from one node.
struct ChainSnapshot: Sendable {
    var node: Int
    var height: UInt64
    var view: UInt64
    var blocks: [BlockView]   // heights 1...height, in order
}

extension ChainSnapshot {
    /// Reads `status` and every block of `node` (a few requests in parallel).
    static func fetch(node: Int, client: RPCClient) async throws(RPCClientError) -> ChainSnapshot {
        let status = try await client.object("status")
        let height = status["height"]?.uint64Value ?? 0
        let view = status["view"]?.uint64Value ?? 0
        // Results go into a dictionary keyed by height and the next height is a plain counter of
        // the loop (no nested function capturing it): the release build of the earlier form
        // trapped on the array store after an `await`.
        let total = Int(height)
        let parallel = 6
        var fetched: [Int: BlockView] = [:]
        var failure: RPCClientError?
        await withTaskGroup(of: (Int, Result<BlockView, RPCClientError>).self) { group in
            var next = 1
            while next <= min(parallel, total) {
                let h = next
                group.addTask { await fetchOne(client: client, height: h) }
                next += 1
            }
            for await (h, result) in group {
                switch result {
                case let .success(b): fetched[h] = b
                case let .failure(e): failure = failure ?? e
                }
                if next <= total {
                    let h = next
                    group.addTask { await fetchOne(client: client, height: h) }
                    next += 1
                }
            }
        }
        let blocks: [BlockView?] = total == 0 ? [] : (1...total).map { fetched[$0] }
        if let failure { throw failure }
        return ChainSnapshot(node: node, height: height, view: view, blocks: blocks.compactMap { $0 })
    }

    /// One block, with its height, for the task group above.
    static func fetchOne(client: RPCClient, height h: Int) async -> (Int, Result<BlockView, RPCClientError>) {
        do throws(RPCClientError) {
            return (h, .success(try await blockView(client: client, height: UInt64(h))))
        } catch {
            return (h, .failure(error))
        }
    }

    static func blockView(client: RPCClient, height: UInt64) async throws(RPCClientError) -> BlockView {
        let b = try await client.object("block", ["height": "\(height)"], timeout: 5)
        let header = b["header"] ?? .object([])
        let txs = (b["txs"]?.arrayValue ?? []).map { (hash: $0["hash"]?.stringValue ?? "", raw: $0["raw"]?.stringValue ?? "") }
        var receipts: [String: String] = [:]
        for r in b["receipts"]?.arrayValue ?? [] {
            if let h = r["tx_hash"]?.stringValue { receipts[h] = r["status"]?.stringValue ?? "?" }
        }
        return BlockView(
            height: header["height"]?.uint64Value ?? height, hash: b["hash"]?.stringValue ?? "",
            previousHash: header["prev_hash"]?.stringValue ?? "", batchDigest: header["batch_digest"]?.stringValue ?? "",
            txCount: Int(header["tx_count"]?.uint64Value ?? 0), txs: txs, receipts: receipts)
    }
}
