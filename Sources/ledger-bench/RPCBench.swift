import ArgumentParser
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import NIOCore
import NIOHTTP1
import NIOPosix

/// `ledger-bench rpc`: JSON-RPC requests per second against one node over keep-alive HTTP/1.1 connections.
struct RPCBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "JSON-RPC requests/s on one node (status, account, or broadcast_tx_sync admissions).",
        discussion: """
            Each connection sends its next request as soon as the previous response arrives (HTTP keep-alive). \
            broadcast_tx_sync pre-signs transfers from --key-file (a testnet's faucet.key) before timing, so the \
            figure is admissions/s (signature check + mempool), not signing. Target: ≥ 10,000 req/s for status/account.
            """
    )

    @Option(help: "The node's RPC URL.")
    var url: String = "http://127.0.0.1:26700/"

    @Option(help: "status, account or broadcast_tx_sync.")
    var method: String = "status"

    @Option(help: "Seconds to measure.")
    var duration: Double = 5

    @Option(help: "Concurrent keep-alive connections.")
    var connections: Int = 8

    @Option(help: "Hex seed file of the sending key (broadcast_tx_sync; account uses its address if given).")
    var keyFile: String?

    @Option(help: "Transactions pre-signed for broadcast_tx_sync.")
    var transactions: Int = 50_000

    @Option(help: "First nonce for broadcast_tx_sync (the sender's current nonce).")
    var startNonce: UInt64 = 0

    func run() throws {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw ValidationError("--url must look like http://HOST:PORT/")
        }
        let key: SigningKey? = try keyFile.map { path in
            let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let seed = Hex.decode(text) else { throw ValidationError("\(path) is not a hex seed") }
            return try SigningKey(seed: seed)
        }
        let bodies: [String]
        switch method {
        case "status":
            bodies = [#"{"jsonrpc":"2.0","id":1,"method":"status"}"#]
        case "account":
            let address = Address(publicKey: key?.publicKey ?? SigningKey.generate().publicKey)
            bodies = [#"{"jsonrpc":"2.0","id":1,"method":"account","params":{"address":"\#(address)"}}"#]
        case "broadcast_tx_sync":
            guard let key else { throw ValidationError("broadcast_tx_sync needs --key-file (e.g. the testnet's faucet.key)") }
            let chainID = try Self.chainID(host: host, port: port)
            let recipient = Address(publicKey: SigningKey.generate().publicKey)
            print("signing \(transactions) transfers for chain \(chainID)…")
            bodies = try (0..<transactions).map { i in
                let tx = try Transaction.signed(chainID: chainID, sender: key, recipient: recipient, amount: 1,
                                                nonce: startNonce + UInt64(i))
                return #"{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"\#(Hex.encode(tx.encoded()))"}}"#
            }
        default:
            throw ValidationError("--method must be status, account or broadcast_tx_sync")
        }
        let outcome = try Self.measure(host: host, port: port, bodies: bodies, connections: connections, duration: duration,
                                       cycleBodies: method != "broadcast_tx_sync")
        let rate = Double(outcome.ok) / outcome.seconds
        print(String(format: "%@: %d ok, %d errors in %.2f s over %d connections = %.0f req/s",
                     method, outcome.ok, outcome.errors, outcome.seconds, connections, rate))
    }

    /// The node's chain id from `status`.
    static func chainID(host: String, port: Int) throws -> String {
        let outcome = try measure(host: host, port: port, bodies: [#"{"jsonrpc":"2.0","id":1,"method":"status"}"#],
                                  connections: 1, duration: 10, cycleBodies: false, keepFirstBody: true)
        guard let body = outcome.firstBody,
              let id = (try? JSONValue.parse(body))?["result"]?["chain_id"]?.stringValue else {
            throw ValidationError("cannot read chain_id from \(host):\(port)")
        }
        return id
    }

    struct Outcome {
        var ok = 0
        var errors = 0
        var seconds = 0.0
        var firstBody: String?
    }

    /// Runs `connections` keep-alive clients for `duration` seconds (or until the bodies run out).
    static func measure(host: String, port: Int, bodies: [String], connections: Int, duration: Double, cycleBodies: Bool,
                        keepFirstBody: Bool = false) throws -> Outcome {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let shared = BenchState(bodies: bodies, cycle: cycleBodies, limit: keepFirstBody ? 1 : Int.max)
        let start = DispatchTime.now()
        shared.deadline = start.uptimeNanoseconds + UInt64(duration * 1e9)
        var channels: [Channel] = []
        for _ in 0..<max(1, connections) {
            let channel = try ClientBootstrap(group: group)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.pipeline.addHTTPClientHandlers().flatMap {
                        channel.pipeline.addHandler(BenchClientHandler(state: shared, host: host))
                    }
                }
                .connect(host: host, port: port).wait()
            channels.append(channel)
        }
        let done = group.next().makePromise(of: Void.self)
        shared.onFinish = { done.succeed(()) }
        shared.open = connections
        for c in channels { c.pipeline.fireUserInboundEventTriggered(BenchClientHandler.Start()) }
        try done.futureResult.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        for c in channels { try? c.close().wait() }
        return Outcome(ok: shared.ok, errors: shared.errors, seconds: elapsed, firstBody: shared.firstBody)
    }
}

/// State shared by the client handlers; touched only on the single event loop thread.
final class BenchState: @unchecked Sendable {
    let bodies: [String]
    let cycle: Bool
    let limit: Int
    var next = 0
    var ok = 0
    var errors = 0
    var deadline: UInt64 = 0
    var open = 0
    var firstBody: String?
    var onFinish: (() -> Void)?

    init(bodies: [String], cycle: Bool, limit: Int) {
        self.bodies = bodies
        self.cycle = cycle
        self.limit = limit
    }

    /// The next request body, or nil when time or bodies are up.
    func take() -> String? {
        if DispatchTime.now().uptimeNanoseconds >= deadline || ok + errors >= limit { return nil }
        if next >= bodies.count {
            guard cycle else { return nil }
            next = 0
        }
        defer { next += 1 }
        return bodies[next]
    }

    func connectionDone() {
        open -= 1
        if open == 0 { onFinish?() }
    }
}

/// One keep-alive connection: send, wait for the full response, send the next.
final class BenchClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    struct Start {}

    let state: BenchState
    let host: String
    var status: HTTPResponseStatus = .ok
    var body = ByteBuffer()
    var finished = false

    init(state: BenchState, host: String) {
        self.state = state
        self.host = host
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Start { sendNext(context) } else { context.fireUserInboundEventTriggered(event) }
    }

    private func sendNext(_ context: ChannelHandlerContext) {
        guard let text = state.take() else {
            if !finished { finished = true; state.connectionDone() }
            return
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
        head.headers.add(name: "host", value: host)
        head.headers.add(name: "content-type", value: "application/json")
        head.headers.add(name: "content-length", value: String(text.utf8.count))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(h):
            status = h.status
            body.clear()
        case var .body(b):
            body.writeBuffer(&b)
        case .end:
            let text = String(buffer: body)
            if state.firstBody == nil { state.firstBody = text }
            if status == .ok, !text.contains("\"error\"") { state.ok += 1 } else { state.errors += 1 }
            sendNext(context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        state.errors += 1
        if !finished { finished = true; state.connectionDone() }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished { finished = true; state.connectionDone() }
    }
}
