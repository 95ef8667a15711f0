import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Strangers that hold idle TCP connections to a port: `count` connections spread over the
/// loopback source addresses `sources` (127.0.0.x all reach 127.0.0.1 on Linux), each re-opened
/// shortly after the target closes it, until `stop()`. They send nothing: the cheapest way to
/// occupy a listener's connection slots.
final class ConnectionFlood: Sendable {
    private let port: Int
    private let sources: [String]
    private let count: Int
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let state = Mutex(State())

    private struct State {
        var running = true
        var opened = 0
        var failed = 0
        var open: [ObjectIdentifier: Channel] = [:]
    }

    /// Connections opened so far, and attempts the target refused or reset.
    var counts: (opened: Int, failed: Int, openNow: Int) { state.withLock { ($0.opened, $0.failed, $0.open.count) } }

    init(port: Int, sources: [String], count: Int) {
        self.port = port
        self.sources = sources
        self.count = count
    }

    /// Opens the connections (each keeps itself open until `stop()`).
    func start() {
        for i in 0..<count { open(source: sources[i % sources.count]) }
    }

    private func open(source: String) {
        guard state.withLock({ $0.running }) else { return }
        let bootstrap = ClientBootstrap(group: group).connectTimeout(.seconds(2))
        let connecting: EventLoopFuture<Channel>
        do {
            connecting = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)).connect(host: "127.0.0.1", port: port)
        } catch {
            state.withLock { $0.failed += 1 }
            return
        }
        connecting.whenComplete { [self] result in
            switch result {
            case let .success(channel):
                let keep = state.withLock { s -> Bool in
                    guard s.running else { return false }
                    s.opened += 1
                    s.open[ObjectIdentifier(channel)] = channel
                    return true
                }
                guard keep else { channel.close(promise: nil); return }
                channel.closeFuture.whenComplete { [self] _ in
                    state.withLock { _ = $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
                    reopen(source: source)
                }
            case .failure:
                state.withLock { $0.failed += 1 }
                reopen(source: source)
            }
        }
    }

    private func reopen(source: String) {
        _ = group.next().scheduleTask(in: .milliseconds(5)) { [self] in open(source: source) }
    }

    /// Closes every connection and stops re-opening them.
    func stop() async {
        let open = state.withLock { s -> [Channel] in
            s.running = false
            return Array(s.open.values)
        }
        for channel in open { try? await channel.close() }
        try? await group.shutdownGracefully()
    }
}
