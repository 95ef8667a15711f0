import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON

// Addresses and hashes are carried as text in this file's async code, with typed crypto work in synchronous
// helpers. That began as a workaround: Digest, PublicKey and Address once held SIMD32/SIMD64 storage, which
// corrupted the task allocator when kept across an `await` in debug builds. They now hold plain words
// (`InlineBytes32`, see its header), so the workaround is no longer needed; the text form stayed.

/// The ledger's RPC methods the wallet uses, with node errors turned into `WalletError`s a person can act on.
public struct WalletNode: Sendable {
    /// The JSON-RPC client.
    public let client: RPCClient

    /// The node URL (for messages).
    public var url: String { client.endpoint.url }

    /// A facade over `client`.
    public init(client: RPCClient) {
        self.client = client
    }

    /// Calls `method`; transport errors become `.rpc`, "not found" becomes `.notFound` (throws `WalletError`).
    public func call(_ method: String, _ params: JSONValue = .object([])) async throws -> JSONValue {
        switch await client.callResult(method, params) {
        case let .success(r):
            return r
        case let .failure(error):
            if case let .server(e, _) = error, e.code == RPCServerError.notFound {
                throw WalletError.notFound("\(e.message) (node \(url))")
            }
            throw WalletError.rpc(error)
        }
    }

    /// `status`.
    public func status() async throws -> JSONValue {
        try await call("status")
    }

    /// The chain id from `status`.
    public func chainID() async throws -> String {
        guard let id = try await status()["chain_id"]?.stringValue else { throw WalletError.badAnswer("status has no chain_id") }
        return id
    }

    /// `account` for `address` (`ldg1…`).
    public func account(_ address: String) async throws -> AccountInfo {
        let r = try await call("account", .object([("address", .string(address))]))
        guard let balance = r["balance"]?.uint64Value, let nonce = r["nonce"]?.uint64Value else {
            throw WalletError.badAnswer("account answer lacks balance/nonce: \(r.serialized())")
        }
        return AccountInfo(address: address, balance: balance, nonce: nonce)
    }

    /// Submits with `broadcast_tx_sync`; returns the hash once the mempool admitted it. The two
    /// refusals a node means as "not now" are retried for up to `retrySeconds`: "busy" (its
    /// backlog is too old; after the delay it suggests) and "nonce_gap" (an earlier nonce of the
    /// sender has not reached it yet), with the delay doubling from 100 ms to 1 s.
    public func broadcast(_ transfer: SignedTransfer, retrySeconds: Double = WalletLimits.broadcastRetrySeconds) async throws -> String {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, min(retrySeconds, 3_600)) * 1_000))
        var delayMs: UInt64 = 100
        while true {
            switch await client.callResult("broadcast_tx_sync", .object([("tx", .string(Hex.encode(transfer.bytes)))])) {
            case let .success(r):
                if let text = r["hash"]?.stringValue, text.lowercased() != transfer.hash {
                    throw WalletError.badAnswer("node reports hash \(text) for transaction \(transfer.hash)")
                }
                return transfer.hash
            case let .failure(error):
                guard case let .server(e, _) = error, e.code == RPCServerError.transactionRejected else { throw WalletError.rpc(error) }
                if let wait = RejectionMapping.retryDelayMs(for: e, backoffMs: delayMs),
                   ContinuousClock.now + .milliseconds(Int64(wait)) < deadline {
                    try await Task.sleep(for: .milliseconds(Int64(wait)))
                    delayMs = min(delayMs * 2, 1_000)
                    continue
                }
                throw RejectionMapping.walletError(for: e, sender: transfer.sender, amount: transfer.amount)
            }
        }
    }

    /// `tx` for `hash` (hex); `nil` when the node has no `tx` method (older node).
    public func transaction(_ hash: String) async throws -> TransactionOutcome? {
        let r: JSONValue
        switch await client.callResult("tx", .object([("hash", .string(hash))])) {
        case let .success(answer):
            r = answer
        case let .failure(error):
            if case let .server(e, _) = error {
                if e.code == RPCServerError.methodNotFound { return nil }
                if e.code == RPCServerError.notFound {
                    return TransactionOutcome(hash: hash, status: "unknown", raw: .object([("hash", .string(hash)), ("status", .string("unknown"))]))
                }
            }
            throw WalletError.rpc(error)
        }
        guard let status = r["status"]?.stringValue else { throw WalletError.badAnswer("tx answer has no status: \(r.serialized())") }
        return TransactionOutcome(
            hash: hash, status: status, height: r["height"]?.uint64Value, index: r["index"]?.intValue,
            reason: r["receipt"]?["reason"]?.stringValue ?? r["reason"]?.stringValue, raw: r)
    }

    /// Looks for `hash` (hex) in blocks `from…to` with `block` (for nodes without `tx`); returns the outcome if found.
    public func findInBlocks(_ hash: String, from: UInt64, to: UInt64) async throws -> TransactionOutcome? {
        guard from <= to else { return nil }
        var h = from
        while h <= to {
            let block = try await call("block", .object([("height", .decimal(h))]))
            let receipts = block["receipts"]?.arrayValue ?? []
            if let receipt = receipts.first(where: { $0["tx_hash"]?.stringValue == hash }) {
                let success = receipt["status"]?.stringValue == "success"
                let raw: JSONValue = .object([
                    ("hash", .string(hash)), ("status", .string(success ? "committed" : "failed")), ("height", .decimal(h)),
                    ("index", receipt["index"] ?? .null), ("receipt", receipt), ("block_hash", block["hash"] ?? .null),
                ])
                return TransactionOutcome(
                    hash: hash, status: success ? "committed" : "failed", height: h, index: receipt["index"]?.intValue,
                    reason: receipt["reason"]?.stringValue, raw: raw)
            }
            if h == UInt64.max { break }
            h += 1
        }
        return nil
    }
}
