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

/// The server's open HTTP connections: the `ConnectionTable` (caps and eviction) behind a lock, with each admitted
/// connection's channel, so the one evicted for a newcomer can be told and closed.
final class OpenConnections: Sendable {
    /// The outcome of `admit`.
    enum Admission {
        /// Serve it as `id`; close `evicted` (if any) to make room.
        case admitted(ConnectionTable.ID, evicted: (any Channel)?)
        /// Refuse it.
        case refused(ConnectionTable.Refusal)
    }

    private struct State {
        var table: ConnectionTable
        var channels: [ConnectionTable.ID: any Channel] = [:]
    }

    private let state: Mutex<State>
    /// Most connections open at once.
    let maxConnections: Int
    /// Most connections open at once from one source address.
    let maxPerAddress: Int

    init(maxConnections: Int, maxPerAddress: Int) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
        state = Mutex(State(table: ConnectionTable(maxConnections: maxConnections, maxPerAddress: maxPerAddress)))
    }

    /// `channel` from `address` was accepted now: admit it (perhaps evicting another) or refuse it.
    func admit(_ channel: any Channel, address: String) -> Admission {
        let now = NIODeadline.now().uptimeNanoseconds
        return state.withLock { state in
            switch state.table.admit(address: address, nowNs: now) {
            case let .refuse(reason):
                return .refused(reason)
            case let .admit(id, evict):
                state.channels[id] = channel
                return .admitted(id, evicted: evict.flatMap { state.channels.removeValue(forKey: $0) })
            }
        }
    }

    /// Connection `id` waits on its client since `nowNs` (`nil`: it is being answered, or is a WebSocket).
    func setWaiting(_ id: ConnectionTable.ID, since nowNs: UInt64?) {
        state.withLock { $0.table.setWaiting(id, since: nowNs) }
    }

    /// Connection `id` closed (an evicted one was released already; that is ignored).
    func release(_ id: ConnectionTable.ID) {
        state.withLock { state in
            state.table.release(id)
            state.channels[id] = nil
        }
    }
}

/// Sent into an evicted connection's pipeline, where its `RequestTimeoutHandler` answers 503 (when a request is
/// arriving) and closes.
struct ConnectionEvicted: Sendable {}

/// Wraps the server's per-connection setup, applying `OpenConnections`. A connection past the limit from its
/// source address (429), or past the overall limit when no open connection is waiting on its client (503), is
/// answered with a JSON-RPC error and closed before any request is read, and counted; at the overall limit
/// otherwise, the connection chosen for eviction is closed and the newcomer admitted. An admitted connection gets a
/// `RequestTimeoutHandler` first in its pipeline, which also tells `OpenConnections` when it waits on its client.
struct ConnectionLimitedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let connections: OpenConnections
    let configuration: RPCServerConfiguration
    let incidents: ConnectionIncidents

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let remote = channel.remoteAddress
        let address = remote?.ipAddress ?? "unknown"
        let id: ConnectionTable.ID
        switch connections.admit(channel, address: address) {
        case let .refused(reason):
            incidents.refused(reason.rawValue, remote: remote)
            if reason == .tooManyFromAddress {
                return refuse(channel, logger: logger, status: "429 Too Many Requests", error: .limitExceeded(
                    reason: reason.rawValue, limit: connections.maxPerAddress,
                    message: "the node already serves \(connections.maxPerAddress) connections from \(address); close some or retry later"))
            }
            return refuse(channel, logger: logger, status: "503 Service Unavailable", error: .limitExceeded(
                reason: reason.rawValue, limit: connections.maxConnections,
                message: "the node already serves \(connections.maxConnections) connections, all of them busy; retry later or use another node"))
        case let .admitted(admitted, evicted):
            id = admitted
            evicted?.pipeline.fireUserInboundEventTriggered(ConnectionEvicted())
        }
        let connections = self.connections
        channel.closeFuture.whenComplete { _ in connections.release(id) }
        do {
            try channel.pipeline.syncOperations.addHandler(
                RequestTimeoutHandler(configuration: configuration, incidents: incidents, slot: (connections, id)), position: .first)
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
