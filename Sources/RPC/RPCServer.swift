import Hummingbird
import Logging

/// The node's HTTP server: `GET /health` and JSON-RPC 2.0 on `POST /`, bodies bounded by `RPCLimits`.
public struct RPCServer: Sendable {
    /// The JSON-RPC logic.
    public let handler: JSONRPCHandler
    /// Where to listen.
    public let host: String
    /// The TCP port.
    public let port: Int
    private let logger: Logger

    /// A server for `backend` on `host:port`.
    public init(backend: any RPCBackend, host: String, port: Int, logger: Logger) {
        self.handler = JSONRPCHandler(backend: backend)
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Serves until the calling task is cancelled (then shuts down gracefully).
    public func run() async throws {
        let router = Router()
        let handler = self.handler
        router.get("/health") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
        }
        router.post("/") { request, _ -> Response in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: RPCLimits.maxRequestBodyBytes)
            } catch {
                let e = JSONRPCHandler.errorResponse(
                    id: .null, .invalidRequest("body larger than \(RPCLimits.maxRequestBodyBytes) bytes"))
                return Response(status: .contentTooLarge, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: e.serialized())))
            }
            let bytes = Array(body.readableBytesView)
            guard let out = await handler.respond(to: bytes) else { return Response(status: .noContent) }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: out)))
        }
        var appLogger = logger
        // Hummingbird logs an expected CancellationError at error level on every shutdown; its real failures are thrown.
        appLogger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "ledger-node"),
            logger: appLogger)
        try await app.run()
    }
}
