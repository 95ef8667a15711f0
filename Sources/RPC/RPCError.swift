import LedgerJSON

/// A JSON-RPC 2.0 error object: what went wrong with one call, with a stable code a client can branch on
/// and, for application errors, structured `data` whose `"reason"` names the case (see docs/rpc.md).
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JSON-RPC error code (spec codes -32700…-32600; application codes -32000…-32099).
    public var code: Int
    /// A sentence a user can act on.
    public var message: String
    /// Machine-readable details (`{"reason": …, …}`), or `nil`.
    public var data: JSONValue?

    /// An error with `code`, `message` and optional `data`.
    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(message) (code \(code))" }

    /// The stable codes (never renumbered).
    public enum Code {
        /// The body is not valid JSON.
        public static let parseError = -32700
        /// Not a JSON-RPC 2.0 request object (or a transport limit such as the body size was broken).
        public static let invalidRequest = -32600
        /// No such method.
        public static let methodNotFound = -32601
        /// A parameter is missing or malformed.
        public static let invalidParams = -32602
        /// The node failed internally.
        public static let internalError = -32603
        /// The block, transaction or commit asked for does not exist (yet).
        public static let notFound = -32004
        /// The mempool refused the transaction.
        public static let transactionRejected = -32010
        /// `broadcast_tx_commit` waited longer than its timeout.
        public static let timeout = -32020
        /// A server limit was reached (batch length, subscriptions, connections, waiters).
        public static let limitExceeded = -32029
        /// The request was refused by the node's `Host`/`Origin` policy (sent with HTTP 403).
        public static let forbidden = -32030
        /// The node is shutting down.
        public static let shuttingDown = -32050
    }

    /// The body is not valid JSON.
    public static func parseError(_ detail: String) -> RPCError {
        .init(code: Code.parseError, message: "parse error: \(detail)")
    }
    /// The JSON is not a JSON-RPC 2.0 request object.
    public static func invalidRequest(_ detail: String) -> RPCError {
        .init(code: Code.invalidRequest, message: "invalid request: \(detail)")
    }
    /// No method of that name.
    public static func methodNotFound(_ name: String) -> RPCError {
        .init(code: Code.methodNotFound,
              message: "method '\(name)' not found; available: \(RPCMethod.httpNames.joined(separator: ", "))")
    }
    /// A parameter is missing or malformed.
    public static func invalidParams(_ detail: String) -> RPCError {
        .init(code: Code.invalidParams, message: "invalid params: \(detail)")
    }
    /// The node failed internally (the call may be retried).
    public static func internalError(_ detail: String) -> RPCError {
        .init(code: Code.internalError, message: "internal error: \(detail)")
    }
    /// The transaction was refused by the mempool: `reason` is a stable snake_case code, `details` extra fields
    /// (decimal strings), `message` the human sentence.
    public static func transactionRejected(reason: String, message: String, details: [(String, String)] = []) -> RPCError {
        .init(code: Code.transactionRejected, message: "transaction rejected: \(message)",
              data: .object([("reason", .string(reason))] + details.map { ($0.0, .string($0.1)) }))
    }
    /// A validator-set change was refused: `reason` is a stable snake_case code, `message` the human sentence.
    public static func changeRejected(reason: String, message: String) -> RPCError {
        .init(code: Code.transactionRejected, message: "validator-set change rejected: \(message)",
              data: .object([("reason", .string(reason))]))
    }
    /// The asked-for object does not exist (yet); `what` is "block", "tx", "commit", ….
    public static func notFound(_ what: String, _ message: String) -> RPCError {
        .init(code: Code.notFound, message: message, data: .object([("reason", .string("not_found")), ("what", .string(what))]))
    }
    /// `broadcast_tx_commit` gave up waiting; the transaction may still commit later.
    public static func timeout(hash: String, waitedMs: UInt64) -> RPCError {
        .init(code: Code.timeout,
              message: "transaction \(hash) not committed within \(waitedMs) ms; it may still commit: poll `tx` with this hash, do not resubmit",
              data: .object([("reason", .string("timeout")), ("hash", .string(hash)), ("waited_ms", .decimal(waitedMs))]))
    }
    /// A server limit was reached; `reason` names it (e.g. "batch_too_large"), `limit` is the bound.
    public static func limitExceeded(reason: String, limit: Int, got: Int? = nil, message: String) -> RPCError {
        var data: [(String, JSONValue)] = [("reason", .string(reason)), ("limit", .int(limit))]
        if let got { data.append(("got", .int(got))) }
        return .init(code: Code.limitExceeded, message: message, data: .object(data))
    }
    /// The body exceeded `RPCLimits.maxRequestBodyBytes` (sent with HTTP 413).
    public static func bodyTooLarge(limit: Int) -> RPCError {
        .init(code: Code.invalidRequest, message: "invalid request: body larger than \(limit) bytes",
              data: .object([("reason", .string("body_too_large")), ("limit", .int(limit))]))
    }
    /// The request is not served to this `Host` or `Origin` (`reason` "host_not_allowed" or "origin_not_allowed").
    public static func forbidden(reason: String, message: String) -> RPCError {
        .init(code: Code.forbidden, message: message, data: .object([("reason", .string(reason))]))
    }
    /// The client did not send its request head (`phase` "header") or body ("body") within `limitMs` (HTTP 408).
    public static func requestTimeout(phase: String, limitMs: Int64) -> RPCError {
        .init(code: Code.invalidRequest,
              message: "invalid request: the request \(phase == "header" ? "head" : "body") did not arrive within \(limitMs) ms; closing",
              data: .object([("reason", .string("\(phase)_timeout")), ("limit_ms", .int(Int(limitMs)))]))
    }
    /// The connection was closed to admit another while the node served its most connections, `limit` (HTTP 503):
    /// it was the one waiting longest on its client from the address holding the most connections.
    public static func evicted(limit: Int) -> RPCError {
        limitExceeded(reason: "evicted", limit: limit, message: "the node serves its maximum of \(limit) connections and "
            + "closed this one, the longest waiting for its request from the address holding the most, to admit another; "
            + "send the request promptly after connecting, or retry")
    }
    /// The node is shutting down and takes no more requests.
    public static let shuttingDown = RPCError(
        code: Code.shuttingDown, message: "node is shutting down; try another node",
        data: .object([("reason", .string("shutting_down"))]))
}
