/// A JSON-RPC 2.0 error object: what went wrong with one call, with a code a client can branch on.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JSON-RPC error code (spec codes -32700…-32600; application codes -32000…-32099).
    public var code: Int
    /// A sentence a user can act on.
    public var message: String

    /// An error with `code` and `message`.
    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) (code \(code))" }

    /// The body is not valid JSON.
    public static func parseError(_ detail: String) -> RPCError { .init(code: -32700, message: "parse error: \(detail)") }
    /// The JSON is not a JSON-RPC 2.0 request object.
    public static func invalidRequest(_ detail: String) -> RPCError { .init(code: -32600, message: "invalid request: \(detail)") }
    /// No method of that name.
    public static func methodNotFound(_ name: String) -> RPCError {
        .init(code: -32601, message: "method '\(name)' not found; available: status, broadcast_tx_sync, account, block")
    }
    /// A parameter is missing or malformed.
    public static func invalidParams(_ detail: String) -> RPCError { .init(code: -32602, message: "invalid params: \(detail)") }
    /// The node failed internally (the call may be retried).
    public static func internalError(_ detail: String) -> RPCError { .init(code: -32603, message: "internal error: \(detail)") }
    /// The transaction was refused by the mempool (the message says why).
    public static func transactionRejected(_ reason: String) -> RPCError {
        .init(code: -32010, message: "transaction rejected: \(reason)")
    }
    /// The asked-for object does not exist (yet).
    public static func notFound(_ what: String) -> RPCError { .init(code: -32004, message: what) }
    /// The node is shutting down and takes no more requests.
    public static let shuttingDown = RPCError(code: -32050, message: "node is shutting down; try another node")
}
