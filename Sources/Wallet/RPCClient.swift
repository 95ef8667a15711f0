#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// An async JSON-RPC 2.0 client over one HTTP/1.1 keep-alive connection (SwiftNIO).
///
/// One client carries any number of sequential calls over one TCP connection, opened on first use and
/// reopened when the node closes it (an idle keep-alive connection that was closed before a call is
/// retried once on a fresh connection; every method of the node's API is idempotent, including
/// `broadcast_tx_*`). Calls issued concurrently on one client queue on the same connection in order.
/// For parallel load, make several clients; they share the event-loop group.
public actor RPCClient {
    /// Timeouts and limits of one client.
    public struct Configuration: Sendable {
        /// Time to open the TCP connection (ms).
        public var connectTimeoutMs: Int64
        /// Time for one request once sent (ms).
        public var requestTimeoutMs: Int64
        /// Largest response body accepted (bytes).
        public var maxResponseBytes: Int

        /// A configuration from its parts.
        public init(
            connectTimeoutMs: Int64 = WalletLimits.connectTimeoutMs, requestTimeoutMs: Int64 = WalletLimits.requestTimeoutMs,
            maxResponseBytes: Int = WalletLimits.responseMaxBytes
        ) {
            self.connectTimeoutMs = connectTimeoutMs
            self.requestTimeoutMs = requestTimeoutMs
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// The node this client talks to.
    public nonisolated let endpoint: RPCEndpoint
    /// Timeouts and limits.
    public nonisolated let configuration: Configuration
    private let group: any EventLoopGroup
    private var channel: (any Channel)?
    private var connecting: EventLoopFuture<any Channel>?
    private var nextID: UInt64 = 1
    /// Number of TCP connections opened so far (for tests and load statistics).
    public private(set) var connectionsOpened = 0

    /// A client for the node at `url` (`http://host:port[/path]`). No connection is made until the first call.
    public init(
        url: String, configuration: Configuration = Configuration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(RPCClientError) {
        endpoint = try RPCEndpoint(url: url)
        self.configuration = configuration
        self.group = group
    }

    deinit {
        channel?.close(promise: nil)
    }

    /// Calls `method` with `params` (an object by name, or an array by position) and returns its `result`.
    public func call(_ method: String, _ params: JSON = .object([])) async throws -> JSON {
        let id = nextID
        nextID &+= 1
        let request: JSON = .object([
            ("jsonrpc", .string("2.0")), ("id", .number(String(id))), ("method", .string(method)), ("params", params),
        ])
        let answer = try await post(Array(request.serialized().utf8), method: method)
        return try decodeResponse(answer, id: id, method: method)
    }

    /// `call` with the outcome as a value (convenient where errors are inspected rather than propagated).
    public func callResult(_ method: String, _ params: JSON = .object([])) async -> Result<JSON, RPCClientError> {
        do { return .success(try await call(method, params)) } catch let e as RPCClientError { return .failure(e) } catch {
            return .failure(.connectionClosed(url: endpoint.url, reason: "\(error)"))
        }
    }

    /// Closes the connection (a later call opens a new one).
    public func close() async {
        let ch = channel
        channel = nil
        connecting = nil
        try? await ch?.close()
    }

    // MARK: HTTP

    private func post(_ body: [UInt8], method: String) async throws -> HTTPAnswer {
        var attempt = 0
        while true {
            attempt += 1
            let (ch, isFresh) = try await connection()
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: endpoint.path)
            head.headers.add(name: "Host", value: endpoint.hostHeader)
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Accept", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.count))
            head.headers.add(name: "Connection", value: "keep-alive")
            let promise = ch.eventLoop.makePromise(of: HTTPAnswer.self)
            let call = HTTPCall(
                head: head, body: ch.allocator.buffer(bytes: body), promise: promise,
                timeoutMs: configuration.requestTimeoutMs)
            ch.writeAndFlush(call, promise: nil)
            do {
                return try await promise.futureResult.get()
            } catch let failure as HTTPCallFailure {
                forget(ch)
                switch failure {
                case let .closed(sawResponse, reason):
                    // A reused connection the node had already closed: nothing was processed, try once more.
                    if !sawResponse, !isFresh, attempt == 1 { continue }
                    throw RPCClientError.connectionClosed(url: endpoint.url, reason: reason)
                case .timedOut:
                    throw RPCClientError.timedOut(url: endpoint.url, method: method, milliseconds: configuration.requestTimeoutMs)
                case let .tooLarge(limit):
                    throw RPCClientError.invalidResponse(url: endpoint.url, reason: "response larger than \(limit) bytes")
                }
            } catch {
                forget(ch)
                throw RPCClientError.connectionClosed(url: endpoint.url, reason: "\(error)")
            }
        }
    }

    private func forget(_ ch: any Channel) {
        if let current = channel, current === ch {
            channel = nil
            ch.close(promise: nil)
        }
    }

    /// The open connection, or a new one (`isFresh`). Concurrent callers share one connect attempt.
    private func connection() async throws -> (any Channel, isFresh: Bool) {
        if let ch = channel, ch.isActive { return (ch, false) }
        channel = nil
        let future: EventLoopFuture<any Channel>
        if let pending = connecting {
            future = pending
        } else {
            future = makeConnection()
            connecting = future
        }
        do {
            let ch = try await future.get()
            if connecting === future {
                connecting = nil
                channel = ch
                connectionsOpened += 1
            }
            return (ch, true)
        } catch {
            if connecting === future { connecting = nil }
            throw RPCClientError.unreachable(url: endpoint.url, reason: Self.describeConnectError(error))
        }
    }

    private func makeConnection() -> EventLoopFuture<any Channel> {
        let maxBody = configuration.maxResponseBytes
        return ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(configuration.connectTimeoutMs))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPCallHandler(maxBodyBytes: maxBody))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
    }

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
        return "\(error)"
    }

    // MARK: JSON-RPC

    private func decodeResponse(_ answer: HTTPAnswer, id: UInt64, method: String) throws(RPCClientError) -> JSON {
        let bytes = answer.body.getBytes(at: answer.body.readerIndex, length: answer.body.readableBytes) ?? []
        let doc: JSON
        do {
            doc = try JSON.parse(bytes, maxDepth: WalletLimits.jsonMaxDepth)
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
            guard let code = error["code"]?.integerValue else {
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

extension JSON {
    /// A signed integer from a JSON number (for error codes).
    var integerValue: Int? {
        guard case let .number(text) = self else { return nil }
        return Int(text)
    }
}
