import LedgerCore
import LedgerCrypto

/// Turns a JSON-RPC 2.0 request body into a response body against an `RPCBackend`.
/// Transport-free, so it is tested without HTTP. Garbage gets a JSON-RPC error, never a trap.
public struct JSONRPCHandler: Sendable {
    /// The node behind the methods.
    public let backend: any RPCBackend

    /// A handler calling `backend`.
    public init(backend: any RPCBackend) { self.backend = backend }

    /// The response body for `body` (a single call or a batch); `nil` when every call was a notification.
    public func respond(to body: [UInt8]) async -> [UInt8]? {
        guard let json = JSONValue.parse(body) else {
            return Array(Self.errorResponse(id: .null, .parseError("body is not valid JSON")).serialized().utf8)
        }
        if case let .array(calls) = json {
            guard !calls.isEmpty else {
                return Array(Self.errorResponse(id: .null, .invalidRequest("empty batch")).serialized().utf8)
            }
            guard calls.count <= RPCLimits.maxBatchCalls else {
                return Array(Self.errorResponse(
                    id: .null, .invalidRequest("batch of \(calls.count) calls; at most \(RPCLimits.maxBatchCalls)")
                ).serialized().utf8)
            }
            var responses: [JSONValue] = []
            for call in calls {
                if let r = await respond(toCall: call) { responses.append(r) }
            }
            return responses.isEmpty ? nil : Array(JSONValue.array(responses).serialized().utf8)
        }
        return await respond(toCall: json).map { Array($0.serialized().utf8) }
    }

    private func respond(toCall call: JSONValue) async -> JSONValue? {
        guard case .object = call else { return Self.errorResponse(id: .null, .invalidRequest("a call must be an object")) }
        let id = call["id"]
        let responseID = id ?? .null
        if let id {
            switch id {
            case .string, .int, .null: break
            default: return Self.errorResponse(id: .null, .invalidRequest("id must be a string, integer or null"))
            }
        }
        guard call["jsonrpc"] == .string("2.0") else {
            return Self.errorResponse(id: responseID, .invalidRequest("\"jsonrpc\" must be \"2.0\""))
        }
        guard case let .string(method)? = call["method"] else {
            return Self.errorResponse(id: responseID, .invalidRequest("\"method\" must be a string"))
        }
        let params = call["params"] ?? .null
        let result: JSONValue
        do throws(RPCError) {
            result = try await dispatch(method, params)
        } catch {
            return id == nil ? nil : Self.errorResponse(id: responseID, error)
        }
        guard id != nil else { return nil }
        return .object([("jsonrpc", .string("2.0")), ("id", responseID), ("result", result)])
    }

    /// A JSON-RPC error response object.
    public static func errorResponse(id: JSONValue, _ error: RPCError) -> JSONValue {
        .object([
            ("jsonrpc", .string("2.0")), ("id", id),
            ("error", .object([("code", .int(error.code)), ("message", .string(error.message))])),
        ])
    }

    // MARK: Methods

    private func dispatch(_ method: String, _ params: JSONValue) async throws(RPCError) -> JSONValue {
        switch method {
        case "status":
            return Self.encode(await backend.status())
        case "broadcast_tx_sync":
            guard let hex = try Self.param(params, "tx", position: 0) else { throw .invalidParams("missing \"tx\" (hex of the signed transaction)") }
            guard case let .string(text) = hex, let bytes = Hex.decode(text) else {
                throw .invalidParams("\"tx\" must be a hex string of the signed transaction encoding")
            }
            let hash = try await backend.submitTransaction(bytes)
            return .object([("hash", .string(hash.hex))])
        case "account":
            guard case let .string(text)? = try Self.param(params, "address", position: 0) else {
                throw .invalidParams("missing \"address\" (an ldg1… address)")
            }
            let address: Address
            do { address = try Address(string: text) } catch { throw .invalidParams("address: \(error)") }
            let account = try await backend.account(address)
            return .object([
                ("address", .string(address.string)), ("balance", .decimal(account.balance)), ("nonce", .decimal(account.nonce)),
            ])
        case "block":
            var height: Height?
            if let value = try Self.param(params, "height", position: 0), value != .null {
                switch value {
                case let .string(s):
                    guard let h = UInt64(s) else { throw .invalidParams("\"height\" must be a decimal integer") }
                    height = Height(h)
                case let .int(n) where n >= 0: height = Height(UInt64(n))
                default: throw .invalidParams("\"height\" must be a non-negative integer or decimal string")
                }
            }
            guard let block = try await backend.block(at: height) else {
                throw .notFound(height.map { "no block at height \($0.rawValue) yet" } ?? "no block yet")
            }
            return Self.encode(block)
        default:
            throw .methodNotFound(method)
        }
    }

    /// A named (object) or positional (array) parameter.
    private static func param(_ params: JSONValue, _ name: String, position: Int) throws(RPCError) -> JSONValue? {
        switch params {
        case .null: return nil
        case .object: return params[name]
        case let .array(items): return position < items.count ? items[position] : nil
        default: throw .invalidParams("params must be an object or an array")
        }
    }

    // MARK: Encoding results

    static func encode(_ s: NodeStatus) -> JSONValue {
        .object([
            ("chain_id", .string(s.chainID)), ("node_id", .int(s.nodeID.index)), ("height", .decimal(s.height.rawValue)),
            ("latest_block_hash", .string(s.latestBlockHash.hex)), ("view", .decimal(s.view.rawValue)),
            ("primary", .int(s.primary.index)), ("catching_up", .bool(s.isCatchingUp)),
            ("peers", .int(s.peers.count)), ("connected_peers", .array(s.peers.map { .int($0.index) })),
            ("changing_view", .bool(s.isChangingView)), ("mempool_size", .int(s.mempoolSize)),
        ])
    }

    static func encode(_ block: Block) -> JSONValue {
        let h = block.header
        let header: JSONValue = .object([
            ("height", .decimal(h.height.rawValue)), ("prev_hash", .string(h.previousHash.hex)),
            ("batch_digest", .string(h.batchDigest.hex)), ("view", .decimal(h.view.rawValue)),
            ("proposer", .int(h.proposer.index)), ("timestamp", .decimal(h.timestamp)), ("tx_root", .string(h.txRoot.hex)),
            ("state_hash", .string(h.stateHash.hex)), ("tx_count", .int(Int(h.txCount))),
        ])
        let txs: [JSONValue] = block.transactions.map { tx in
            .object([
                ("hash", .string(tx.hash.hex)), ("from", .string(Address(publicKey: tx.sender).string)),
                ("to", .string(tx.recipient.string)), ("amount", .decimal(tx.amount)), ("nonce", .decimal(tx.nonce)),
                ("memo", .string(Hex.encode(tx.memo))), ("raw", .string(Hex.encode(tx.encoded()))),
            ])
        }
        let receipts: [JSONValue] = block.receipts.map { r in
            var pairs: [(String, JSONValue)] = [("tx_hash", .string(r.txHash.hex)), ("index", .int(Int(r.index)))]
            switch r.status {
            case .success: pairs.append(("status", .string("success")))
            case let .failed(reason):
                pairs.append(("status", .string("failed")))
                pairs.append(("reason", .string("\(reason)")))
            }
            return .object(pairs)
        }
        return .object([
            ("hash", .string(block.hash.hex)), ("header", header), ("txs", .array(txs)), ("receipts", .array(receipts)),
        ])
    }
}
