import BenchSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import Wallet

/// One keep-alive HTTP/1.1 connection to a node carrying JSON-RPC batch requests, several in flight at once
/// (pipelined, answered in order by `HTTPCallHandler`). Its senders' transfers wait in `queue` in nonce order,
/// so a sender's nonces reach the node in order. Transfers the node refused as "not now" (busy, nonce gap) wait in
/// `retry`, in the order the refusals arrived, and go out before anything newer once `resumeAtNs` has passed:
/// refusals come back in sending order, so a sender's retried nonces still precede its unsent ones.
/// Used only on the load engine's event loop.
// @unchecked: confined to the load engine's event loop, like the engine itself.
final class SubmitConnection: @unchecked Sendable {
    /// Index of the node in the nodes file.
    let node: Int
    /// The channel.
    let channel: any Channel
    /// Transfers due and not yet sent, oldest first.
    private var queue: [Int] = []
    private var head = 0
    /// Transfers refused as "not now", to resend first.
    private var retry: [Int] = []
    /// Nothing is sent before this instant (ns on the engine's clock): the node asked to wait.
    var resumeAtNs: UInt64 = 0
    /// Whether a flush is scheduled for `resumeAtNs`.
    var resumeScheduled = false
    /// Batch requests sent and not yet answered.
    var batchesInFlight = 0
    /// Why the connection is unusable, once it is.
    var failure: String?

    init(node: Int, channel: any Channel) {
        self.node = node
        self.channel = channel
    }

    /// Opens a connection to `host:port` on `loop`.
    static func open(node: Int, host: String, port: Int, on loop: any EventLoop) -> EventLoopFuture<SubmitConnection> {
        ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(BenchLimits.connectTimeoutMs))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPCallHandler(maxBodyBytes: BenchLimits.maxResponseBytes))
                }
            }
            .connect(host: host, port: port)
            .map { SubmitConnection(node: node, channel: $0) }
    }

    /// Transfers waiting to be sent (new and to be resent).
    var queued: Int { queue.count - head + retry.count }

    /// Transfers waiting to be resent.
    var retrying: Int { retry.count }

    /// Queues transfer `k` behind the others.
    func enqueue(_ k: Int) { queue.append(k) }

    /// Queues refused transfer `k` to be resent ahead of the new ones.
    func requeue(_ k: Int) { retry.append(k) }

    /// Takes up to `limit` queued transfers: the ones to resend first, then the oldest new ones.
    func take(_ limit: Int) -> ArraySlice<Int> {
        if !retry.isEmpty {
            let n = min(limit, retry.count)
            let slice = ArraySlice(retry[..<n])
            retry.removeFirst(n)
            return slice
        }
        let end = min(queue.count, head + limit)
        let slice = queue[head..<end]
        head = end
        if head > 65_536 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
            return ArraySlice(slice)
        }
        return slice
    }

    /// The transfers waiting to be resent, emptied.
    func drainRetry() -> [Int] {
        defer { retry = [] }
        return retry
    }

    /// The new transfers still queued (never sent), emptied.
    func drainQueue() -> [Int] {
        let rest = Array(queue[head...])
        queue = []
        head = 0
        return rest
    }
}
