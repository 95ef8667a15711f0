import LedgerJSON

/// A JSON-RPC error object returned by a node: code, message and optional structured data.
public struct RPCServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON-RPC error code (see docs/rpc.md: -32010 tx rejected, -32004 not found, …).
    public var code: Int
    /// The node's message.
    public var message: String
    /// Structured details (`{"reason": …}`), if sent.
    public var data: JSONValue?

    /// An error from its parts.
    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// `data.reason`, if present.
    public var reason: String? { data?["reason"]?.stringValue }

    /// Well-known codes.
    public static let methodNotFound = -32601
    /// Invalid params.
    public static let invalidParams = -32602
    /// The object (block, tx, commit) does not exist.
    public static let notFound = -32004
    /// The transaction was refused by the mempool.
    public static let transactionRejected = -32010
    /// broadcast_tx_commit waited too long.
    public static let commitTimeout = -32020
    /// The node is shutting down.
    public static let shuttingDown = -32050

    /// Stands for a call of a batch that the node's answer left out.
    public static let missingFromBatch = RPCServerError(code: -32603, message: "the batch answer has no entry for this call")

    public var description: String {
        var s = "\(message) (code \(code)"
        if let data { s += ", data \(data.serialized())" }
        return s + ")"
    }
}

/// Failures of one JSON-RPC call, by where they happened: before the node, at HTTP, or in JSON-RPC.
public enum RPCClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The node URL could not be parsed.
    case invalidURL(String, reason: String)
    /// No TCP connection could be opened (refused, no route, DNS failure, connect timeout).
    case unreachable(url: String, reason: String)
    /// The connection broke before a complete answer arrived.
    case connectionClosed(url: String, reason: String)
    /// No complete answer within the request timeout.
    case timedOut(url: String, method: String, milliseconds: Int64)
    /// The node answered with an HTTP status other than 200 and no JSON-RPC error body.
    case httpStatus(url: String, status: Int, body: String)
    /// The answer is not a JSON-RPC 2.0 response (or is larger than the client accepts).
    case invalidResponse(url: String, reason: String)
    /// The node answered with a JSON-RPC error object.
    case server(RPCServerError, method: String)

    /// `true` when the node could not be reached at all (nothing was sent or processed).
    public var isUnreachable: Bool {
        if case .unreachable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .invalidURL(url, reason):
            return "invalid node URL '\(url)': \(reason)"
        case let .unreachable(url, reason):
            return "node unreachable at \(url): \(reason); is the node running? (set --node URL or LEDGER_NODE)"
        case let .connectionClosed(url, reason):
            return "connection to \(url) closed before the answer arrived: \(reason)"
        case let .timedOut(url, method, ms):
            return "\(method) to \(url) got no answer within \(Double(ms) / 1000) s"
        case let .httpStatus(url, status, body):
            let snippet = body.count > 200 ? String(body.prefix(200)) + "…" : body
            return "\(url) answered HTTP \(status)\(snippet.isEmpty ? "" : ": \(snippet)")"
        case let .invalidResponse(url, reason):
            return "\(url) sent an invalid JSON-RPC answer: \(reason)"
        case let .server(error, method):
            return "\(method): \(error)"
        }
    }
}
