import NIOCore
import NIOHTTP1

/// One HTTP request handed to the channel, with the promise its response completes.
struct HTTPCall: Sendable {
    /// The request head (method, path, headers).
    var head: HTTPRequestHead
    /// The request body.
    var body: ByteBuffer
    /// Completed with the response, or failed with an `HTTPCallFailure`.
    var promise: EventLoopPromise<HTTPAnswer>
    /// How long the response may take once this call is the oldest outstanding one, ms.
    var timeoutMs: Int64

    /// A call from its parts.
    init(head: HTTPRequestHead, body: ByteBuffer, promise: EventLoopPromise<HTTPAnswer>, timeoutMs: Int64) {
        self.head = head
        self.body = body
        self.promise = promise
        self.timeoutMs = timeoutMs
    }
}

/// A complete HTTP response.
struct HTTPAnswer: Sendable {
    /// The status code.
    var status: Int
    /// The whole body.
    var body: ByteBuffer
}

/// Why an in-flight call failed inside the channel.
enum HTTPCallFailure: Error, Sendable {
    /// The connection closed (or failed) before the response was complete; `sawResponse` is `true`
    /// if any part of the response had arrived (then the request certainly reached the server).
    case closed(sawResponse: Bool, reason: String)
    /// The response did not complete in time (the connection is closed).
    case timedOut
    /// The response body exceeded the limit (the connection is closed).
    case tooLarge(limit: Int)
}

/// Turns `HTTPCall`s into HTTP/1.1 requests and matches responses to them in order (FIFO, as HTTP/1.1 requires).
///
/// Each call has a deadline while it is the oldest outstanding one; on expiry every outstanding call fails
/// and the connection closes (its late answer could otherwise be matched to the next request).
/// Several calls may be written before the first answer arrives (HTTP/1.1 pipelining); the load generator does.
final class HTTPCallHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPCall
    typealias OutboundOut = HTTPClientRequestPart

    private let maxBodyBytes: Int
    private var outstanding = CircularBuffer<HTTPCall>()
    private var responseHead: HTTPResponseHead?
    private var responseBody: ByteBuffer?
    private var deadline: Scheduled<Void>?

    /// A handler refusing response bodies over `maxBodyBytes`.
    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        guard context.channel.isActive else {
            call.promise.fail(HTTPCallFailure.closed(sawResponse: false, reason: "connection is closed"))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        outstanding.append(call)
        if outstanding.count == 1 { armDeadline(context: context, milliseconds: call.timeoutMs) }
        context.write(wrapOutboundOut(.head(call.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(call.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            responseHead = head
            responseBody = context.channel.allocator.buffer(capacity: 0)
        case var .body(chunk):
            guard responseBody != nil else { return }
            if responseBody!.readableBytes + chunk.readableBytes > maxBodyBytes {
                failAll(HTTPCallFailure.tooLarge(limit: maxBodyBytes))
                context.close(promise: nil)
                return
            }
            responseBody!.writeBuffer(&chunk)
        case .end:
            guard let head = responseHead, let body = responseBody else { return }
            responseHead = nil
            responseBody = nil
            guard !outstanding.isEmpty else {
                // An answer nobody asked for: the stream is out of step; start over on a new connection.
                context.close(promise: nil)
                return
            }
            let call = outstanding.removeFirst()
            deadline?.cancel()
            deadline = nil
            if let next = outstanding.first { armDeadline(context: context, milliseconds: next.timeoutMs) }
            call.promise.succeed(HTTPAnswer(status: Int(head.status.code), body: body))
            if !head.isKeepAlive { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(HTTPCallFailure.closed(sawResponse: responseHead != nil, reason: "the node closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(HTTPCallFailure.closed(sawResponse: responseHead != nil, reason: "\(error)"))
        context.close(promise: nil)
    }

    private func armDeadline(context: ChannelHandlerContext, milliseconds: Int64) {
        deadline?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) { [weak self] in
            guard let self else { return }
            self.deadline = nil
            self.failAll(HTTPCallFailure.timedOut)
            bound.value.close(promise: nil)
        }
    }

    private func failAll(_ error: HTTPCallFailure) {
        deadline?.cancel()
        deadline = nil
        while let call = outstanding.popFirst() { call.promise.fail(error) }
    }
}
