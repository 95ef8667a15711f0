import BenchSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket client of one node's `/websocket` endpoint subscribed to `blocks` from a given height: it hands every
/// complete text message, with the instant it arrived, to `onMessage` on the channel's event loop.
enum BlockSubscriber {
    /// Connects, upgrades, and sends `subscribe {"query":"blocks","from_height":H,"detail":"hashes"}`; the future completes once the
    /// upgrade is done (the subscription's notifications then flow to `onMessage`, `onClose` runs when it ends).
    static func connect(
        host: String, port: Int, fromHeight: UInt64, on loop: any EventLoop,
        onMessage: @escaping @Sendable ([UInt8], UInt64) -> Void, onClose: @escaping @Sendable (String) -> Void
    ) -> EventLoopFuture<any Channel> {
        let upgraded = loop.makePromise(of: Void.self)
        let subscribe = #"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"blocks","from_height":"\#(fromHeight)","detail":"hashes"}}"#
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(BenchLimits.connectTimeoutMs))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let request = UpgradeRequestHandler(host: host, port: port)
                let upgrader = NIOWebSocketClientUpgrader(
                    maxFrameSize: BenchLimits.maxWebSocketFrameBytes,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let frames = FrameHandler(subscribe: subscribe, onMessage: onMessage, onClose: onClose)
                            try channel.pipeline.syncOperations.addHandler(frames)
                            upgraded.succeed(())
                        }
                    })
                let config: NIOHTTPClientUpgradeConfiguration = (
                    upgraders: [upgrader],
                    completionHandler: { context in context.pipeline.removeHandler(name: "bench-ws-request", promise: nil) })
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(withClientUpgrade: config)
                    try channel.pipeline.syncOperations.addHandler(request, name: "bench-ws-request")
                }
            }
            .connect(host: host, port: port)
        let deadline = loop.scheduleTask(in: .milliseconds(BenchLimits.connectTimeoutMs)) {
            upgraded.fail(BenchConnectFailure(reason: "no WebSocket upgrade within \(BenchLimits.connectTimeoutMs) ms"))
        }
        connected.whenFailure { upgraded.fail($0) }
        return connected.flatMap { channel in
            upgraded.futureResult.map { () -> any Channel in deadline.cancel(); return channel }
                .flatMapErrorThrowing { (error) -> any Channel in channel.close(promise: nil); throw error }
        }
    }

    /// Sends the upgrade GET once connected and fails the attempt on an HTTP answer that is not an upgrade.
    private final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart
        let host: String
        let port: Int

        init(host: String, port: Int) { self.host = host; self.port = port }

        func channelActive(context: ChannelHandlerContext) {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/websocket")
            head.headers.add(name: "Host", value: "\(host):\(port)")
            head.headers.add(name: "Content-Length", value: "0")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case let .head(head) = unwrapInboundIn(data) {
                context.fireErrorCaught(BenchConnectFailure(reason: "HTTP \(head.status.code) instead of a WebSocket upgrade"))
                context.close(promise: nil)
            }
        }
    }

    /// Reassembles text messages, answers pings, and sends the subscription right after the upgrade.
    private final class FrameHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let subscribe: String
        let onMessage: @Sendable ([UInt8], UInt64) -> Void
        let onClose: @Sendable (String) -> Void
        private var partial: [UInt8] = []
        private var closed = false

        init(subscribe: String, onMessage: @escaping @Sendable ([UInt8], UInt64) -> Void,
             onClose: @escaping @Sendable (String) -> Void) {
            self.subscribe = subscribe; self.onMessage = onMessage; self.onClose = onClose
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let data = context.channel.allocator.buffer(string: subscribe)
            let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: data)
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text, .continuation:
                var payload = frame.unmaskedData
                if let bytes = payload.readBytes(length: payload.readableBytes) { partial.append(contentsOf: bytes) }
                if partial.count > BenchLimits.maxWebSocketFrameBytes {
                    finish(context, "message over \(BenchLimits.maxWebSocketFrameBytes) bytes")
                    return
                }
                if frame.fin {
                    let message = partial
                    partial = []
                    onMessage(message, DispatchTime.now().uptimeNanoseconds)
                }
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            case .connectionClose:
                finish(context, "the node closed the WebSocket")
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(context, "connection closed")
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(context, "\(error)")
        }

        private func finish(_ context: ChannelHandlerContext, _ reason: String) {
            guard !closed else { return }
            closed = true
            onClose(reason)
            context.close(promise: nil)
        }
    }
}

/// A connection attempt that failed in a way NIO does not describe itself.
struct BenchConnectFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
