import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// After the HTTP codec: checks every request head against the `HostOriginPolicy` before the router sees it. A
/// refused request is answered 403 with a JSON-RPC error body saying why, and the connection is closed; the
/// request never reaches a route. (A WebSocket upgrade request is held by the upgrade handler before this one
/// exists; `RPCServer`'s WebSocket route applies the same policy and answers the same way.)
final class HostOriginGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let policy: HostOriginPolicy
    private let incidents: ConnectionIncidents
    /// A request was refused: its parts and anything after it are dropped, and so is any response from above.
    private var isRefusing = false

    init(policy: HostOriginPolicy, incidents: ConnectionIncidents) {
        self.policy = policy
        self.incidents = incidents
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if isRefusing { return }
        guard case let .head(head) = unwrapInboundIn(data),
              let refusal = policy.refusal(host: head.authority, origin: head.headerFields[.origin]) else {
            context.fireChannelRead(data)
            return
        }
        isRefusing = true
        incidents.forbidden(refusal.reason, remote: context.channel.remoteAddress)
        let body = JSONRPCHandler.errorResponse(id: .null, refusal.error).serializedBytes()
        let response = HTTPResponse(status: .forbidden, headerFields: [
            .contentType: "application/json", .contentLength: "\(body.count)", .connection: "close",
        ])
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if isRefusing {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }
}
