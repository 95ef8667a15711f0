import BenchSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import Wallet

/// One keep-alive HTTP/1.1 connection to a node carrying JSON-RPC batch requests, several in flight at once
/// (pipelined, answered in order by `HTTPCallHandler`). Its senders' transfers wait in `queue` in nonce order,
/// so a sender's nonces reach the node in order. Used only on the load engine's event loop.
// @unchecked: confined to the load engine's event loop, like the engine itself.
final class SubmitConnection: @unchecked Sendable {
    /// Index of the node in the nodes file.
    let node: Int
    /// The channel.
    let channel: any Channel
    /// Transfers due and not yet sent, oldest first.
    private var queue: [Int] = []
    private var head = 0
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

    /// Transfers waiting to be sent.
    var queued: Int { queue.count - head }

    /// Queues transfer `k` behind the others.
    func enqueue(_ k: Int) { queue.append(k) }

    /// Takes up to `limit` queued transfers, oldest first.
    func take(_ limit: Int) -> ArraySlice<Int> {
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

    /// Everything still queued (after a failure), emptied.
    func drainQueue() -> [Int] {
        let rest = Array(queue[head...])
        queue = []
        head = 0
        return rest
    }
}
