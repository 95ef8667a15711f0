import LedgerCore
import LedgerCrypto
import LedgerJSON
import Synchronization

/// Methods a transport adds on top of the HTTP set (the WebSocket session's `subscribe`…).
protocol RPCMethodExtension: Sendable {
    /// Whether `method` is one of these.
    func handles(_ method: String) -> Bool
    /// Runs `method` with `params`.
    func call(_ method: String, params: JSONValue?) async throws(RPCError) -> JSONValue
}

/// Turns a JSON-RPC 2.0 request body into a response body against an `RPCBackend`.
/// Transport-free, so it is tested without HTTP. Garbage gets a JSON-RPC error, never a trap.
public struct JSONRPCHandler: Sendable {
    /// The node behind the methods.
    public let backend: any RPCBackend
    /// Where request counts go (`nil`: not counted).
    public let metrics: RPCMetrics?
    let genesisJSON: JSONValue
    let commitWaiters: CommitWaiterCount

    /// A handler calling `backend`, counting requests in `metrics`.
    public init(backend: any RPCBackend, metrics: RPCMetrics? = nil) {
        self.backend = backend
        self.metrics = metrics
        genesisJSON = RPCEncoding.genesis(backend.genesis)
        commitWaiters = CommitWaiterCount()
    }

    /// The response body for `body` (a single call or a batch); `nil` when every call was a notification
    /// (the HTTP layer answers 204 with no body).
    public func respond(to body: [UInt8]) async -> [UInt8]? {
        await respond(to: body, extensions: nil)
    }

    func respond(to body: [UInt8], extensions: (any RPCMethodExtension)?) async -> [UInt8]? {
        let json: JSONValue
        do {
            json = try JSONValue.parse(body, limits: RPCLimits.json)
        } catch {
            metrics?.countRequest(method: "invalid", code: RPCError.Code.parseError)
            var e = RPCError.parseError(error.description)
            e.data = .object([("reason", .string(error.reason))])
            return Self.errorResponse(id: .null, e).serializedBytes()
        }
        if case let .array(calls) = json {
            guard !calls.isEmpty else {
                metrics?.countRequest(method: "invalid", code: RPCError.Code.invalidRequest)
                return Self.errorResponse(id: .null, .invalidRequest("empty batch")).serializedBytes()
            }
            guard calls.count <= RPCLimits.maxBatchCalls else {
                metrics?.countRequest(method: "batch", code: RPCError.Code.limitExceeded)
                return Self.errorResponse(id: .null, .limitExceeded(
                    reason: "batch_too_large", limit: RPCLimits.maxBatchCalls, got: calls.count,
                    message: "batch of \(calls.count) calls; at most \(RPCLimits.maxBatchCalls) per request — split it")
                ).serializedBytes()
            }
            // The batch's submissions are admitted together, in order, before the calls are answered
            // in order: one admission round for the lot instead of one per call.
            let submitted = await submitTogether(calls)
            var responses: [JSONValue] = []
            for (i, call) in calls.enumerated() {
                if let r = await respond(toCall: call, extensions: extensions, submitted: submitted[i]) { responses.append(r) }
            }
            return responses.isEmpty ? nil : JSONValue.array(responses).serializedBytes()
        }
        return await respond(toCall: json, extensions: extensions)?.serializedBytes()
    }

    /// For each call of a batch that is a well-formed `broadcast_tx_sync`, its admission result, found by
    /// submitting all of them in one `submitTransactions` call; `nil` for every other call (including
    /// malformed ones, which the normal path answers with their error).
    private func submitTogether(_ calls: [JSONValue]) async -> [Result<Digest, RPCError>?] {
        var indices: [Int] = []
        var encoded: [[UInt8]] = []
        for (i, call) in calls.enumerated() {
            guard case .object = call, call["jsonrpc"] == .string("2.0"), call["method"] == .string("broadcast_tx_sync"),
                  let order = RPCMethod.parameterOrder["broadcast_tx_sync"],
                  let params = try? RPCParams(call["params"], order: order),
                  let bytes = try? params.hexBytes("tx", "hex of the signed transaction encoding") else { continue }
            indices.append(i)
            encoded.append(bytes)
        }
        var results: [Result<Digest, RPCError>?] = Array(repeating: nil, count: calls.count)
        guard indices.count > 1 else { return results }
        for (i, result) in zip(indices, await backend.submitTransactions(encoded)) { results[i] = result }
        return results
    }

    func respond(toCall call: JSONValue, extensions: (any RPCMethodExtension)?,
                 submitted: Result<Digest, RPCError>? = nil) async -> JSONValue? {
        guard case .object = call else {
            metrics?.countRequest(method: "invalid", code: RPCError.Code.invalidRequest)
            return Self.errorResponse(id: .null, .invalidRequest("a call must be a JSON object"))
        }
        let id = call["id"]
        if let id {
            switch id {
            case .string, .int, .uint, .number, .null: break
            default:
                metrics?.countRequest(method: "invalid", code: RPCError.Code.invalidRequest)
                return Self.errorResponse(id: .null, .invalidRequest("\"id\" must be a string, number or null"))
            }
        }
        let responseID = id ?? .null
        guard call["jsonrpc"] == .string("2.0") else {
            metrics?.countRequest(method: "invalid", code: RPCError.Code.invalidRequest)
            return Self.errorResponse(id: responseID, .invalidRequest("\"jsonrpc\" must be \"2.0\""))
        }
        guard case let .string(method)? = call["method"] else {
            metrics?.countRequest(method: "invalid", code: RPCError.Code.invalidRequest)
            return Self.errorResponse(id: responseID, .invalidRequest("\"method\" must be a string"))
        }
        let params = call["params"]
        if let params {
            switch params {
            case .object, .array: break
            default:
                // Not a valid Request object, so not a notification either: always answered (spec §5).
                metrics?.countRequest(method: method, code: RPCError.Code.invalidRequest)
                return Self.errorResponse(id: responseID, .invalidRequest("\"params\" must be an object or an array when present"))
            }
        }
        let result: JSONValue
        do throws(RPCError) {
            if let submitted {
                result = .object([("hash", .string(try submitted.get().hex))])
            } else if let extensions, extensions.handles(method) {
                result = try await extensions.call(method, params: params)
            } else {
                result = try await dispatch(method, params)
            }
        } catch {
            metrics?.countRequest(method: method, code: error.code)
            return id == nil ? nil : Self.errorResponse(id: responseID, error)
        }
        metrics?.countRequest(method: method, code: 0)
        guard id != nil else { return nil }
        return .object([("jsonrpc", .string("2.0")), ("id", responseID), ("result", result)])
    }

    /// A JSON-RPC error response object.
    public static func errorResponse(id: JSONValue, _ error: RPCError) -> JSONValue {
        var body: [(String, JSONValue)] = [("code", .int(error.code)), ("message", .string(error.message))]
        if let data = error.data { body.append(("data", data)) }
        return .object([("jsonrpc", .string("2.0")), ("id", id), ("error", .object(body))])
    }

    // MARK: Methods

    private func dispatch(_ method: String, _ raw: JSONValue?) async throws(RPCError) -> JSONValue {
        guard let order = RPCMethod.parameterOrder[method] else {
            if RPCMethod.webSocketOnly[method] != nil {
                throw RPCError(code: RPCError.Code.methodNotFound,
                               message: "method '\(method)' is only available over WebSocket at /websocket")
            }
            throw .methodNotFound(String(method.prefix(64)))
        }
        let params = try RPCParams(raw, order: order)
        switch method {
        case "health":
            return .object([])
        case "status":
            return RPCEncoding.encode(await backend.status())
        case "net_info":
            return RPCEncoding.encode(await backend.netInfo())
        case "genesis":
            return genesisJSON
        case "validators":
            return RPCEncoding.encode(try await backend.validatorSet(at: try params.height("height")))
        case "account":
            let address = try params.address("address")
            let account = try await backend.account(address)
            return .object([
                ("address", .string(address.string)), ("balance", .decimal(account.balance)), ("nonce", .decimal(account.nonce)),
            ])
        case "block":
            let height = try params.height("height")
            guard let block = try await backend.block(at: height) else {
                throw .notFound("block", height.map { "no block at height \($0.rawValue) yet" } ?? "no block yet")
            }
            return RPCEncoding.encode(block)
        case "block_by_hash":
            let hash = try params.digest("hash", "the block hash")
            guard let block = try await backend.block(hash: hash) else {
                throw .notFound("block", "no block with hash \(hash.hex)")
            }
            return RPCEncoding.encode(block)
        case "blockchain":
            return try await blockchain(params)
        case "commit":
            let height = try params.height("height")
            guard let commit = try await backend.commit(at: height) else {
                throw .notFound("commit", height.map { "no committed block at height \($0.rawValue) yet" } ?? "no commit yet")
            }
            return RPCEncoding.encode(commit)
        case "tx":
            let hash = try params.digest("hash", "the transaction hash")
            return RPCEncoding.encode(try await backend.transaction(hash: hash))
        case "broadcast_tx_async":
            let bytes = try params.hexBytes("tx", "hex of the signed transaction encoding")
            let hash = try await backend.submitTransactionAsync(bytes)
            return .object([("hash", .string(hash.hex))])
        case "broadcast_tx_sync":
            let bytes = try params.hexBytes("tx", "hex of the signed transaction encoding")
            let hash = try await backend.submitTransaction(bytes)
            return .object([("hash", .string(hash.hex))])
        case "broadcast_change":
            let bytes = try params.hexBytes("change", "hex of the validator-set change encoding (ledger-node validators change submit)")
            let hash = try await backend.submitChange(bytes)
            return .object([("hash", .string(hash.hex))])
        case "broadcast_tx_commit":
            let bytes = try params.hexBytes("tx", "hex of the signed transaction encoding")
            let timeout = try params.uint64("timeout_ms") ?? RPCLimits.defaultCommitTimeoutMs
            guard timeout <= RPCLimits.maxCommitTimeoutMs else {
                throw .invalidParams("\"timeout_ms\" must be at most \(RPCLimits.maxCommitTimeoutMs)")
            }
            return try await TransactionCommitWaiter(backend: backend, waiters: commitWaiters)
                .submitAndWait(bytes, timeoutMs: timeout)
        case "unconfirmed_txs":
            let limit = try params.count("limit", max: RPCLimits.maxUnconfirmedTxs) ?? RPCLimits.defaultUnconfirmedTxs
            let (total, txs) = await backend.unconfirmedTransactions(limit: limit)
            return .object([
                ("count", .int(txs.count)), ("total", .int(total)),
                ("txs", .array(txs.map { RPCEncoding.encode($0, withRaw: false) })),
            ])
        case "num_unconfirmed_txs":
            let (total, _) = await backend.unconfirmedTransactions(limit: 0)
            return .object([("count", .int(total)), ("total", .int(total))])
        case "evidence":
            let all = await backend.evidence()
            return .object([("count", .int(all.count)), ("evidence", .array(all.map(RPCEncoding.encode)))])
        default:
            throw .methodNotFound(method)
        }
    }

    /// `blockchain {min_height?, max_height?}`: at most `maxBlockchainHeaders` headers, newest first (like CometBFT).
    private func blockchain(_ params: RPCParams) async throws(RPCError) -> JSONValue {
        let last = try await backend.latestHeight()
        var maxHeight = try params.height("max_height")?.rawValue ?? last.rawValue
        maxHeight = min(maxHeight, last.rawValue)
        let minAsked = try params.height("min_height")?.rawValue ?? 1
        let minHeight = max(minAsked, 1)
        guard minHeight <= maxHeight || maxHeight == 0 else {
            if minAsked > last.rawValue {
                return .object([("last_height", .decimal(last.rawValue)), ("headers", .array([]))])
            }
            throw .invalidParams("\"min_height\" \(minAsked) is above \"max_height\" \(maxHeight)")
        }
        if maxHeight == 0 { return .object([("last_height", .decimal(last.rawValue)), ("headers", .array([]))]) }
        let span = maxHeight - minHeight + 1
        let count = Int(min(span, UInt64(RPCLimits.maxBlockchainHeaders)))
        let start = maxHeight - UInt64(count) + 1
        let headers = try await backend.headers(from: Height(start), count: count)
        return .object([
            ("last_height", .decimal(last.rawValue)),
            ("headers", .array(headers.reversed().map(RPCEncoding.encodeWithHash))),
        ])
    }
}

/// How many `broadcast_tx_commit` calls are waiting (bounded by `RPCLimits.maxCommitWaiters`).
final class CommitWaiterCount: Sendable {
    private let count = Atomic<Int>(0)

    /// Takes a slot, or returns false when all are taken.
    func acquire() -> Bool {
        let after = count.add(1, ordering: .relaxed).newValue
        if after > RPCLimits.maxCommitWaiters {
            count.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives a slot back.
    func release() { count.subtract(1, ordering: .relaxed) }
}
