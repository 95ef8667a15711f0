import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// The node's HTTP server: JSON-RPC 2.0 on `POST /`, `GET /health`, `GET /metrics` (Prometheus text) and
/// JSON-RPC subscriptions on the WebSocket at `/websocket`. Every bound is in `RPCLimits`.
///
/// A connection's pipeline, socket first: `RequestTimeoutHandler` (head, body and idle deadlines on raw bytes;
/// put there by `ConnectionLimitedChannel`, which first applies the global and per-address caps and, at the global
/// cap, evicts the connection waiting longest on its client from the busiest address), the HTTP codec,
/// `HTTPExchangeReporter` (tells the timeout handler where requests begin and end), `HostOriginGuard` (403 for a
/// refused `Host` or `Origin`), then Hummingbird's router, whose first middleware `CORSHeaders` answers preflights
/// and adds CORS headers for allowed origins.
public struct RPCServer: Sendable {
    /// The JSON-RPC logic.
    public let handler: JSONRPCHandler
    /// Where to listen.
    public let host: String
    /// The TCP port.
    public let port: Int
    /// The metrics `/metrics` renders.
    public let metrics: RPCMetrics
    /// Connection caps, request deadlines and the Host/Origin policy (tests shorten the deadlines).
    public let configuration: RPCServerConfiguration
    private let logger: Logger

    /// A server for `backend` on `host:port` (0: any free port) recording into `metrics`.
    public init(backend: any RPCBackend, host: String, port: Int, metrics: RPCMetrics = RPCMetrics(),
                configuration: RPCServerConfiguration = RPCServerConfiguration(), logger: Logger) {
        self.handler = JSONRPCHandler(backend: backend, metrics: metrics)
        self.metrics = metrics
        self.host = host
        self.port = port
        self.configuration = configuration
        self.logger = logger
    }

    private static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Serves until the calling task is cancelled (then shuts down gracefully). `onBound` gets the bound port.
    public func run(onBound: (@Sendable (Int) async -> Void)? = nil) async throws {
        let router = Router()
        // First, so it also answers preflights and unknown paths (the router wraps its not-found answer in it too).
        router.add(middleware: CORSHeaders(policy: configuration.hostPolicy))
        let handler = self.handler
        let metrics = self.metrics
        router.get("/health") { _, _ -> Response in
            Self.json(.ok, Array("{\"status\":\"ok\"}".utf8))
        }
        router.get("/metrics") { _, _ -> Response in
            await handler.backend.refreshMetrics()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        router.post("/") { request, _ -> Response in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: RPCLimits.maxRequestBodyBytes)
            } catch {
                metrics.countRequest(method: "invalid", code: RPCError.Code.invalidRequest)
                let e = JSONRPCHandler.errorResponse(id: .null, .bodyTooLarge(limit: RPCLimits.maxRequestBodyBytes))
                return Self.json(.contentTooLarge, e.serializedBytes())
            }
            guard let out = await handler.respond(to: Array(body.readableBytesView)) else { return Response(status: .noContent) }
            return Self.json(.ok, out)
        }

        let configuration = self.configuration
        let webSockets = ConnectionCounter(limit: RPCLimits.maxWebSocketConnections)
        let wsRouter = Router(context: RPCWebSocketContext.self)
        let policy = configuration.hostPolicy
        let incidents = ConnectionIncidents(metrics: metrics, logger: logger)
        wsRouter.ws("/websocket") { request, context in
            // The upgrade handler holds the head, so HostOriginGuard never sees it: the refusal is written here,
            // raw, by the connection's RequestTimeoutHandler (first in the pipeline), which then closes.
            if let refusal = policy.refusal(host: request.head.authority, origin: request.headers[.origin]) {
                incidents.forbidden(refusal.reason, remote: context.channel.remoteAddress)
                let text = RefuseConnectionHandler.closingResponse(status: "403 Forbidden", refusal.error)
                context.channel.triggerUserOutboundEvent(HTTPExchangeEvent.answerAndClose(text), promise: nil)
                return .dontUpgrade
            }
            context.channel.triggerUserOutboundEvent(HTTPExchangeEvent.upgradingToWebSocket, promise: nil)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard webSockets.acquire() else {
                let e = JSONRPCHandler.errorResponse(id: .null, .limitExceeded(
                    reason: "too_many_websockets", limit: RPCLimits.maxWebSocketConnections,
                    message: "the node already serves \(RPCLimits.maxWebSocketConnections) WebSocket clients; retry later"))
                try? await outbound.write(.text(e.serialized()))
                return
            }
            defer { webSockets.release() }
            let channel = context.requestContext.channel
            // A small kernel send buffer: a client that stops reading fills our queue (and is dropped) sooner.
            channel.setOption(
                ChannelOptions.socketOption(.so_sndbuf), value: SocketOptionValue(RPCLimits.webSocketSocketSendBufferBytes)
            ).whenFailure { _ in }
            let session = WebSocketSession(handler: handler, closeConnection: { channel.close(promise: nil) })
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while let message = await session.outbox.next() {
                        do { try await outbound.writeTextMessage(message) } catch { break }
                    }
                }
                group.addTask {
                    do {
                        for try await message in inbound.messages(maxSize: RPCLimits.maxWebSocketMessageBytes) {
                            switch message {
                            case let .text(text): await session.receive(text)
                            case .binary: session.refuse(.invalidRequest("send JSON-RPC requests as text frames"))
                            }
                        }
                    } catch {
                        session.refuse(.invalidRequest("message larger than \(RPCLimits.maxWebSocketMessageBytes) bytes or broken framing; closing"))
                    }
                }
                await group.next()
                session.cancelSubscriptions()
                session.outbox.finish()
                group.cancelAll()
            }
        }

        var appLogger = logger
        // Hummingbird logs an expected CancellationError at error level on every shutdown; its real failures are thrown.
        appLogger.logLevel = .critical
        let connections = OpenConnections(maxConnections: configuration.maxConnections,
                                          maxPerAddress: configuration.maxConnectionsPerAddress)
        let wsResponder = wsRouter.buildResponder()
        let http1 = HTTP1Channel.Configuration(additionalChannelHandlers: [
            HTTPExchangeReporter(), HostOriginGuard(policy: policy, incidents: incidents),
        ])
        let server = HTTPServerBuilder { responder in
            ConnectionLimitedChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: wsResponder,
                    configuration: .init(http1: http1, ws: .init(maxFrameSize: RPCLimits.maxWebSocketMessageBytes,
                                                                 autoPing: .enabled(timePeriod: .seconds(30))))),
                connections: connections, configuration: configuration, incidents: incidents)
        }
        let app = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "ledger-node"),
            onServerRunning: { channel in await onBound?(channel.localAddress?.port ?? 0) },
            logger: appLogger)
        try await app.run()
    }
}

/// The request context of the WebSocket router: Hummingbird's basics plus the connection's channel, so a slow
/// client can be disconnected without waiting for its socket to drain.
struct RPCWebSocketContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
