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

/// Counts open connections per source IP address against a bound.
final class AddressConnectionCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    /// The bound per address.
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a slot for `address`, or returns false when all `limit` are taken.
    func acquire(_ address: String) -> Bool {
        counts.withLock { table in
            let n = table[address, default: 0]
            guard n < limit else { return false }
            table[address] = n + 1
            return true
        }
    }

    /// Gives `address`'s slot back.
    func release(_ address: String) {
        counts.withLock { table in
            let n = table[address, default: 0] - 1
            table[address] = n > 0 ? n : nil
        }
    }

    /// Open connections from `address` now.
    func current(_ address: String) -> Int { counts.withLock { $0[address, default: 0] } }
}

/// Wraps the server's per-connection setup. A connection past the limit of open connections (503), or past the
/// limit from its source address (429), is answered with a JSON-RPC error and closed before any request is read,
/// and counted. An admitted one gets a `RequestTimeoutHandler` first in its pipeline.
struct ConnectionLimitedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let counter: ConnectionCounter
    let perAddress: AddressConnectionCounter
    let configuration: RPCServerConfiguration
    let incidents: ConnectionIncidents

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let remote = channel.remoteAddress
        let address = remote?.ipAddress ?? "unknown"
        guard perAddress.acquire(address) else {
            incidents.refused("too_many_from_address", remote: remote)
            return refuse(channel, logger: logger, status: "429 Too Many Requests", error: .limitExceeded(
                reason: "too_many_from_address", limit: perAddress.limit,
                message: "the node already serves \(perAddress.limit) connections from \(address); close some or retry later"))
        }
        guard counter.acquire() else {
            perAddress.release(address)
            incidents.refused("too_many_connections", remote: remote)
            return refuse(channel, logger: logger, status: "503 Service Unavailable", error: .limitExceeded(
                reason: "too_many_connections", limit: counter.limit,
                message: "the node already serves \(counter.limit) connections; retry later or use another node"))
        }
        let (counter, perAddress) = (self.counter, self.perAddress)
        channel.closeFuture.whenComplete { _ in
            counter.release()
            perAddress.release(address)
        }
        do {
            try channel.pipeline.syncOperations.addHandler(
                RequestTimeoutHandler(configuration: configuration, incidents: incidents), position: .first)
        } catch {
            channel.close(promise: nil)
        }
        return base.setup(channel: channel, logger: logger)
    }

    /// Puts a `RefuseConnectionHandler` first: it answers `status` with `error` and closes.
    private func refuse(_ channel: any Channel, logger: Logger, status: String, error: RPCError) -> EventLoopFuture<Value> {
        logger.debug("refusing connection", metadata: ["status": "\(status)"])
        do {
            try channel.pipeline.syncOperations.addHandler(
                RefuseConnectionHandler(response: RefuseConnectionHandler.closingResponse(status: status, error)), position: .first)
        } catch {
            channel.close(promise: nil)
        }
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

    /// The raw text of an HTTP/1.1 answer `status` ("403 Forbidden") carrying `error` as a JSON-RPC error body,
    /// after which the connection closes.
    static func closingResponse(status: String, _ error: RPCError) -> String {
        let body = JSONRPCHandler.errorResponse(id: .null, error).serialized()
        return "HTTP/1.1 \(status)\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
    }

    func channelActive(context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: response)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
