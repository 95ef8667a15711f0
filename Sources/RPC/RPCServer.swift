import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// The node's HTTP server: JSON-RPC 2.0 on `POST /`, `GET /health`, `GET /metrics` (Prometheus text) and
/// JSON-RPC subscriptions on the WebSocket at `/websocket`. Every bound is in `RPCLimits`.
public struct RPCServer: Sendable {
    /// The JSON-RPC logic.
    public let handler: JSONRPCHandler
    /// Where to listen.
    public let host: String
    /// The TCP port.
    public let port: Int
    /// The metrics `/metrics` renders.
    public let metrics: RPCMetrics
    /// Most open TCP connections (normally `RPCLimits.maxConnections`; tests use a small number).
    public let maxConnections: Int
    private let logger: Logger

    /// A server for `backend` on `host:port` (0: any free port) recording into `metrics`.
    public init(backend: any RPCBackend, host: String, port: Int, metrics: RPCMetrics = RPCMetrics(),
                maxConnections: Int = RPCLimits.maxConnections, logger: Logger) {
        self.handler = JSONRPCHandler(backend: backend, metrics: metrics)
        self.metrics = metrics
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
        self.logger = logger
    }

    private static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Serves until the calling task is cancelled (then shuts down gracefully). `onBound` gets the bound port.
    public func run(onBound: (@Sendable (Int) async -> Void)? = nil) async throws {
        let router = Router()
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

        let webSockets = ConnectionCounter(limit: RPCLimits.maxWebSocketConnections)
        let wsRouter = Router(context: RPCWebSocketContext.self)
        wsRouter.ws("/websocket") { _, _ in
            .upgrade([:])
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
        let connections = ConnectionCounter(limit: maxConnections)
        let wsResponder = wsRouter.buildResponder()
        let server = HTTPServerBuilder { responder in
            ConnectionLimitedChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: wsResponder,
                    configuration: .init(http1: .init(), ws: .init(maxFrameSize: RPCLimits.maxWebSocketMessageBytes,
                                                                   autoPing: .enabled(timePeriod: .seconds(30))))),
                counter: connections)
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
