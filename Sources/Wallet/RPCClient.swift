#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import LedgerJSON

/// A JSON-RPC 2.0 client for a node's RPC endpoint (`http://` or `https://`), over async-http-client.
///
/// Every call ends within its deadline (`Configuration.requestTimeoutMs`, or the `timeoutMs` of the call) with
/// the node's answer or a typed `RPCClientError`, whatever the server does: refuse, close before, during or
/// after the answer, stall, drip bytes, send garbage or too much. The deadline covers connecting, sending,
/// the head and the whole body; it is enforced outside the HTTP machinery too, so a call returns on time
/// even if a request got lost inside it.
///
/// Connections come from one process-wide pool (keep-alive, several per host for concurrent calls, closed
/// after 60 s idle), so clients are cheap values: make one per node and share it freely. A call whose pooled
/// connection the node had already closed is sent once more on a fresh one (every method of the node's API
/// is idempotent, `broadcast_tx_*` included). Redirects are not followed: they are reported as the HTTP status.
public struct RPCClient: Sendable {
    /// Timeouts and limits of one client.
    public struct Configuration: Sendable {
        /// Time for one call, from its start to the last byte of the answer (ms), including connecting.
        public var requestTimeoutMs: Int64
        /// Largest response body accepted (bytes).
        public var maxResponseBytes: Int

        /// A configuration from its parts.
        public init(requestTimeoutMs: Int64 = WalletLimits.requestTimeoutMs, maxResponseBytes: Int = WalletLimits.responseMaxBytes) {
            self.requestTimeoutMs = requestTimeoutMs
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// The node this client talks to.
    public let endpoint: RPCEndpoint
    /// Timeouts and limits.
    public let configuration: Configuration

    /// A client for the node at `url` (`http[s]://host[:port][/path]`, or `host:port`). Nothing is connected
    /// until the first call.
    public init(url: String, configuration: Configuration = Configuration()) throws(RPCClientError) {
        endpoint = try RPCEndpoint(url: url)
        self.configuration = configuration
    }

    /// Calls `method` with `params` (an object by name, or an array by position) and returns its `result`.
    /// `timeoutMs` overrides the configured deadline for this call.
    public func call(_ method: String, _ params: JSONValue = .object([]), timeoutMs: Int64? = nil) async throws(RPCClientError) -> JSONValue {
        let id = RPCClient.nextID.add(1, ordering: .relaxed).newValue
        let request: JSONValue = .object([
            ("jsonrpc", .string("2.0")), ("id", .uint(id)), ("method", .string(method)), ("params", params),
        ])
        let answer = try await post(Array(request.serialized().utf8), method: method, timeoutMs: timeoutMs ?? configuration.requestTimeoutMs)
        return try decodeResponse(answer, id: id, method: method)
    }

    /// `call` with the outcome as a value (convenient where errors are inspected rather than propagated).
    public func callResult(_ method: String, _ params: JSONValue = .object([]), timeoutMs: Int64? = nil) async -> Result<JSONValue, RPCClientError> {
        do { return .success(try await call(method, params, timeoutMs: timeoutMs)) } catch { return .failure(error) }
    }

    /// Sends `calls` as one JSON-RPC batch request (one HTTP exchange) and returns one outcome per call, in the
    /// order of `calls`: its `result`, or the node's error for it. A call the node's answer leaves out fails
    /// with `RPCServerError.missingFromBatch`.
    public func batch(_ calls: [(method: String, params: JSONValue)], timeoutMs: Int64? = nil) async throws(RPCClientError)
        -> [Result<JSONValue, RPCServerError>]
    {
        guard !calls.isEmpty else { return [] }
        let first = RPCClient.nextID.add(UInt64(calls.count), ordering: .relaxed).newValue - UInt64(calls.count) + 1
        let request: JSONValue = .array(calls.enumerated().map { i, c in
            .object([("jsonrpc", .string("2.0")), ("id", .uint(first + UInt64(i))), ("method", .string(c.method)), ("params", c.params)])
        })
        let answer = try await post(Array(request.serialized().utf8), method: "batch", timeoutMs: timeoutMs ?? configuration.requestTimeoutMs)
        let doc: JSONValue
        do { doc = try JSONValue.parse(answer.body, limits: WalletLimits.json) } catch {
            if answer.status != 200 {
                throw .httpStatus(url: endpoint.url, status: answer.status, body: String(decoding: answer.body.prefix(512), as: UTF8.self))
            }
            throw .invalidResponse(url: endpoint.url, reason: "\(error)")
        }
        guard case let .array(items) = doc else {
            // A whole-request refusal (body too large, too many calls) comes as one error object.
            if let error = doc["error"], let code = error["code"]?.intValue {
                throw .server(RPCServerError(code: code, message: error["message"]?.stringValue ?? "", data: error["data"]), method: "batch")
            }
            throw .invalidResponse(url: endpoint.url, reason: "a batch answer must be an array, got \(String(doc.serialized().prefix(80)))")
        }
        var outcomes = [Result<JSONValue, RPCServerError>](repeating: .failure(.missingFromBatch), count: calls.count)
        for item in items {
            guard let id = item["id"]?.uint64Value, id >= first, id - first < UInt64(calls.count) else { continue }
            if let error = item["error"], error != .null {
                let code = error["code"]?.intValue ?? 0
                outcomes[Int(id - first)] = .failure(RPCServerError(code: code, message: error["message"]?.stringValue ?? "", data: error["data"]))
            } else if let result = item["result"] {
                outcomes[Int(id - first)] = .success(result)
            }
        }
        return outcomes
    }

    /// Posts `body` as it is (not necessarily JSON) and returns the HTTP status and body; for tools that send
    /// hostile or malformed requests on purpose. Same deadline and size limit as `call`.
    public func post(raw body: [UInt8], timeoutMs: Int64? = nil) async throws(RPCClientError) -> (status: Int, body: [UInt8]) {
        let answer = try await post(body, method: "POST", timeoutMs: timeoutMs ?? configuration.requestTimeoutMs)
        return (answer.status, answer.body)
    }

    /// GETs `path` on the node (e.g. `/metrics`, `/health`) and returns the HTTP status and body. Same
    /// deadline and size limit as `call`.
    public func get(path: String, timeoutMs: Int64? = nil) async throws(RPCClientError) -> (status: Int, body: [UInt8]) {
        let answer = try await post(nil, method: "GET \(path)", path: path, timeoutMs: timeoutMs ?? configuration.requestTimeoutMs)
        return (answer.status, answer.body)
    }

    // MARK: HTTP

    /// JSON-RPC ids, unique within the process (answers are matched to them).
    private static let nextID = Atomic<UInt64>(0)

    /// A complete HTTP answer.
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// POSTs `body` to the endpoint, or GETs `path` when `body` is nil. `method` names the call in errors.
    private func post(_ body: [UInt8]?, method: String, path: String? = nil, timeoutMs: Int64) async throws(RPCClientError) -> Answer {
        let url: String
        if let path {
            var bare = endpoint
            bare.path = ""
            url = bare.url + path
        } else {
            url = endpoint.url
        }
        let limit = configuration.maxResponseBytes
        var prepared = HTTPClientRequest(url: url)
        if let body {
            prepared.method = .POST
            prepared.headers.add(name: "Content-Type", value: "application/json")
            prepared.headers.add(name: "Accept", value: "application/json")
            prepared.body = .bytes(ByteBuffer(bytes: body))
        } else {
            prepared.method = .GET
        }
        let request = prepared
        let deadline = NIODeadline.now() + .milliseconds(timeoutMs)
        let outcome = await withHardDeadline(milliseconds: timeoutMs) { () async -> Result<Answer, RPCClientError> in
            var attempt = 0
            while true {
                attempt += 1
                do {
                    let response = try await RPCClient.http.execute(request, deadline: deadline)
                    let bytes = try await response.body.collect(upTo: limit)
                    return .success(Answer(status: Int(response.status.code), body: Array(bytes.readableBytesView)))
                } catch let e as HTTPClientError where e == .remoteConnectionClosed && attempt == 1 && NIODeadline.now() < deadline {
                    // Most often a pooled keep-alive connection the node closed just before the call was sent:
                    // nothing was processed, so one more try on a fresh connection.
                    continue
                } catch {
                    return .failure(RPCClientError.from(error, url: url, method: method, timeoutMs: timeoutMs, limit: limit))
                }
            }
        }
        switch outcome {
        case let .some(.success(answer)): return answer
        case let .some(.failure(error)): throw error
        case .none: throw .timedOut(url: url, method: method, milliseconds: timeoutMs)
        }
    }

    /// The process-wide HTTP client. A global is never deinitialised, so it needs no shutdown.
    private static let http: HTTPClient = {
        var config = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(WalletLimits.connectTimeoutMs)),
            connectionPool: .init(idleTimeout: .seconds(60)),
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled)
        // A refused or unroutable connection fails the call at once instead of being retried until the deadline.
        config.connectionPool.retryConnectionEstablishment = false
        config.httpVersion = .http1Only
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: config)
    }()

    /// A short human reason for a failed connect ("connection refused", "connection timed out", …).
    public static func describeConnectError(_ error: any Error) -> String {
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first { return describeConnectError(first.error) }
            if let dns = e.dnsAAAAError ?? e.dnsAError { return "cannot resolve host: \(dns)" }
            return "connection failed"
        }
        if let e = error as? IOError {
            switch e.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ENETUNREACH, EHOSTUNREACH: return "no route to host"
            case ETIMEDOUT: return "connection timed out"
            default: return "\(e)"
            }
        }
        if let e = error as? ChannelError, case .connectTimeout = e { return "connection timed out" }
        if let e = error as? HTTPClientError, e == .connectTimeout { return "connection timed out" }
        return "\(error)"
    }

    // MARK: JSON-RPC

    private func decodeResponse(_ answer: Answer, id: UInt64, method: String) throws(RPCClientError) -> JSONValue {
        let bytes = answer.body
        let doc: JSONValue
        do {
            doc = try JSONValue.parse(bytes, limits: WalletLimits.json)
        } catch {
            if answer.status != 200 {
                throw .httpStatus(url: endpoint.url, status: answer.status, body: String(decoding: bytes.prefix(512), as: UTF8.self))
            }
            throw .invalidResponse(url: endpoint.url, reason: "\(error)")
        }
        guard case .object = doc else {
            throw .invalidResponse(url: endpoint.url, reason: "expected a JSON object, got \(String(doc.serialized().prefix(80)))")
        }
        if let error = doc["error"], error != .null {
            guard let code = error["code"]?.intValue else {
                throw .invalidResponse(url: endpoint.url, reason: "error object without an integer code: \(error.serialized())")
            }
            let message = error["message"]?.stringValue ?? ""
            throw .server(RPCServerError(code: code, message: message, data: error["data"]), method: method)
        }
        if answer.status != 200 {
            throw .httpStatus(url: endpoint.url, status: answer.status, body: String(decoding: bytes.prefix(512), as: UTF8.self))
        }
        guard doc["jsonrpc"]?.stringValue == "2.0" else {
            throw .invalidResponse(url: endpoint.url, reason: "missing \"jsonrpc\": \"2.0\"")
        }
        guard let gotID = doc["id"], gotID.uint64Value == id else {
            throw .invalidResponse(url: endpoint.url, reason: "response id \(doc["id"]?.serialized() ?? "missing") does not match request id \(id)")
        }
        guard let result = doc["result"] else { throw .invalidResponse(url: endpoint.url, reason: "neither \"result\" nor \"error\"") }
        return result
    }
}

extension RPCClientError {
    /// The error a failed HTTP exchange becomes, by where it failed.
    static func from(_ error: any Error, url: String, method: String, timeoutMs: Int64, limit: Int) -> RPCClientError {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .cancelled:
                return .timedOut(url: url, method: method, milliseconds: timeoutMs)
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                // For https the connection includes the TLS handshake, which a plain-HTTP node never completes.
                let tls = url.hasPrefix("https:") ? " (connect or TLS handshake; does the node serve https?)" : ""
                return .unreachable(url: url, reason: RPCClient.describeConnectError(e) + tls)
            case .remoteConnectionClosed:
                return .connectionClosed(url: url, reason: "the node closed the connection")
            case .invalidURL, .emptyHost, .emptyScheme:
                return .invalidURL(url, reason: "\(e)")
            default:
                return .connectionClosed(url: url, reason: "\(e)")
            }
        }
        if error is NIOTooManyBytesError {
            return .invalidResponse(url: url, reason: "response larger than \(limit) bytes")
        }
        if error is NIOConnectionError {
            return .unreachable(url: url, reason: RPCClient.describeConnectError(error))
        }
        if let io = error as? IOError {
            // Refused, unroutable or timed out: no connection existed. Anything else (a reset) broke an open one.
            if [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, ETIMEDOUT].contains(io.errnoCode) {
                return .unreachable(url: url, reason: RPCClient.describeConnectError(io))
            }
            return .connectionClosed(url: url, reason: "\(io)")
        }
        if let e = error as? ChannelError, case .connectTimeout = e {
            return .unreachable(url: url, reason: "connection timed out")
        }
        if let e = error as? HTTPParserError {
            if e == .invalidEOFState {
                return .connectionClosed(url: url, reason: "the node closed the connection in the middle of its answer")
            }
            return .invalidResponse(url: url, reason: "not an HTTP answer (\(e))")
        }
        if error is CancellationError {
            return .timedOut(url: url, method: method, milliseconds: timeoutMs)
        }
        return .connectionClosed(url: url, reason: "\(error)")
    }
}
