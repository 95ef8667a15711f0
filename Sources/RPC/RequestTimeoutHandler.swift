import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// What the HTTP layers of a connection tell its `RequestTimeoutHandler` (sent as user outbound events, which
/// travel toward the socket end of the pipeline where that handler sits).
enum HTTPExchangeEvent: Sendable {
    /// A whole request head was parsed.
    case requestHeadReceived
    /// The request's body ended.
    case requestEnded
    /// A response was written to its end.
    case responseEnded
    /// The connection is being upgraded to a WebSocket.
    case upgradingToWebSocket
    /// Write this raw HTTP answer straight to the socket and close (a request refused before the HTTP codec is
    /// set up, e.g. a WebSocket upgrade the Host/Origin policy turns down).
    case answerAndClose(String)
}

/// First in every RPC connection's pipeline, on raw bytes: enforces `RequestDeadlines` (head, body and idle
/// timeouts). On a head or body timeout it answers 408 with a JSON-RPC error when no response is under way, then
/// closes; an idle connection is just closed. Each timeout is counted and logged through `incidents`.
///
/// It also keeps the connection's entry in `OpenConnections` current — since when it waits on its client, or that
/// it is being answered — and closes the connection when it is evicted for a newcomer (`ConnectionEvicted`; 503
/// with a JSON-RPC error first when a request is arriving).
///
/// Hummingbird's own `idleTimeout` is not used: every body part resets it, so a client trickling one byte a
/// second keeps its connection forever, and it cannot say which phase timed out.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var deadlines: RequestDeadlines
    private let incidents: ConnectionIncidents
    private var scheduled: Scheduled<Void>?
    private var scheduledFor: NIODeadline?
    /// This connection in the server's table, and what the table was last told about it.
    private let slot: (connections: OpenConnections, id: ConnectionTable.ID)?
    private var reportedWaitingSince: UInt64?
    private let maxConnections: Int

    /// `slot`: where to report whether the connection waits on its client (its table admitted it waiting from now).
    init(configuration: RPCServerConfiguration, incidents: ConnectionIncidents,
         slot: (connections: OpenConnections, id: ConnectionTable.ID)? = nil) {
        deadlines = RequestDeadlines(
            headTimeoutMs: configuration.requestHeadTimeoutMs, bodyTimeoutMs: configuration.requestBodyTimeoutMs,
            idleTimeoutMs: configuration.idleConnectionTimeoutMs, connectedAt: NIODeadline.now().uptimeNanoseconds)
        self.incidents = incidents
        self.slot = slot
        reportedWaitingSince = deadlines.waitingSince
        maxConnections = configuration.maxConnections
    }

    func handlerAdded(context: ChannelHandlerContext) { reschedule(context) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ConnectionEvicted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Chosen while waiting on its client; `nil` when it has begun a request since (closed all the same: its
        // slot went to the newcomer).
        let phase = deadlines.next?.phase
        incidents.evicted(phase, remote: context.channel.remoteAddress)
        close(context, answering: phase, status: "503 Service Unavailable", .evicted(limit: maxConnections))
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancelTimer() }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived(at: NIODeadline.now().uptimeNanoseconds)
        reschedule(context)
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? HTTPExchangeEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        let now = NIODeadline.now().uptimeNanoseconds
        switch event {
        case .requestHeadReceived: deadlines.headReceived(at: now)
        case .requestEnded: deadlines.requestEnded()
        case .responseEnded: deadlines.responseEnded(at: now)
        case .upgradingToWebSocket: deadlines.upgraded()
        case let .answerAndClose(text):
            deadlines.upgraded()  // no deadline races the answer
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: text))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
        reschedule(context)
        promise?.succeed()
    }

    /// Keeps one timer armed for the deadline in force (re-armed only when that deadline changes), and the
    /// connection's table entry current.
    private func reschedule(_ context: ChannelHandlerContext) {
        let waitingSince = deadlines.waitingSince
        if waitingSince != reportedWaitingSince, let slot {
            reportedWaitingSince = waitingSince
            slot.connections.setWaiting(slot.id, since: waitingSince)
        }
        let next = deadlines.next.map { NIODeadline.uptimeNanoseconds($0.deadlineNs) }
        guard next != scheduledFor else { return }
        cancelTimer()
        guard let next else { return }
        scheduledFor = next
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        scheduled = context.eventLoop.scheduleTask(deadline: next) {
            let (handler, context) = loopBound.value
            handler.timerFired(context)
        }
    }

    private func cancelTimer() {
        scheduled?.cancel()
        scheduled = nil
        scheduledFor = nil
    }

    private func timerFired(_ context: ChannelHandlerContext) {
        scheduled = nil
        scheduledFor = nil
        guard let phase = deadlines.expired(at: NIODeadline.now().uptimeNanoseconds) else {
            reschedule(context)
            return
        }
        incidents.timedOut(phase, remote: context.channel.remoteAddress)
        close(context, answering: phase, status: "408 Request Timeout",
              .requestTimeout(phase: phase.rawValue, limitMs: deadlines.limitMs(of: phase)))
    }

    /// Closes the connection, first answering `status` with `error` when the client is owed an answer (a head or
    /// body was arriving in `phase`) and none of ours is under way; an idle connection is just closed.
    private func close(_ context: ChannelHandlerContext, answering phase: RequestDeadlines.Phase?, status: String,
                       _ error: @autoclosure () -> RPCError) {
        guard let phase, phase != .idle, deadlines.canAnswerTimeout else {
            context.close(promise: nil)
            return
        }
        deadlines.upgraded()  // no deadline races the answer
        reschedule(context)
        let channel = context.channel
        let text = RefuseConnectionHandler.closingResponse(status: status, error())
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: text))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

/// After the HTTP codec: reports request heads and ends and response ends to the connection's
/// `RequestTimeoutHandler`, which cannot see HTTP framing in raw bytes.
final class HTTPExchangeReporter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: context.triggerUserOutboundEvent(HTTPExchangeEvent.requestHeadReceived, promise: nil)
        case .body: break
        case .end: context.triggerUserOutboundEvent(HTTPExchangeEvent.requestEnded, promise: nil)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd = if case .end = unwrapOutboundIn(data) { true } else { false }
        context.write(data, promise: promise)
        if isEnd { context.triggerUserOutboundEvent(HTTPExchangeEvent.responseEnded, promise: nil) }
    }
}
