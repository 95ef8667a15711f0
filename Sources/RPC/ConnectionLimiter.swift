import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// Counts open connections against a bound.
final class ConnectionCounter: Sendable {
    private let count = Atomic<Int>(0)
    /// The bound.
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a slot, or returns false when all `limit` are taken.
    func acquire() -> Bool {
        if count.add(1, ordering: .relaxed).newValue > limit {
            count.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives a slot back.
    func release() { count.subtract(1, ordering: .relaxed) }

    /// Open connections now.
    var current: Int { count.load(ordering: .relaxed) }
}

/// Wraps the server's per-connection setup: past the limit of open connections a new one is answered with HTTP 503
/// and a JSON-RPC error body, then closed, before any request is read.
struct ConnectionLimitedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let counter: ConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard counter.acquire() else {
            let error = JSONRPCHandler.errorResponse(id: .null, .limitExceeded(
                reason: "too_many_connections", limit: counter.limit,
                message: "the node already serves \(counter.limit) connections; retry later or use another node"))
            let body = error.serialized()
            let text = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
            logger.debug("refusing connection: too many open")
            do {
                try channel.pipeline.syncOperations.addHandler(RefuseConnectionHandler(response: text), position: .first)
            } catch {
                channel.close(promise: nil)
            }
            return base.setup(channel: channel, logger: logger)
        }
        let counter = self.counter
        channel.closeFuture.whenComplete { _ in counter.release() }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        // A refused connection is closed by its refusal handler; nothing to serve.
        if (try? await value.channel.pipeline.handler(type: RefuseConnectionHandler.self).get()) != nil { return }
        await base.handle(value: value, logger: logger)
    }
}

/// First in a refused connection's pipeline: writes the 503 answer straight to the socket, swallows input, closes.
final class RefuseConnectionHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let response: String

    init(response: String) { self.response = response }

    func channelActive(context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: response)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
