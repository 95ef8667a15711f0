// The link proxy: a loopback echo through it pays the one-way delay in both directions, jitter never reorders bytes, queues stay bounded, closes and source addresses carry over, counters count both ways.
import Foundation
import NIOCore
import NIOPosix
import TestSupport
import XCTest
@testable import ledger_adversarial

final class LinkProxyDelayTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var echo: Channel!
    private var arrivals: ArrivalLog!

    override func setUp() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = ArrivalLog()
        arrivals = log
        echo = try await ServerBootstrap(group: group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(EchoHandler(log: log)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    override func tearDown() async throws {
        try? await echo.close()
        try? await group.shutdownGracefully()
    }

    /// A proxy in front of the echo server, delay `delayMs`, jitter `jitterMs`; returns it and its port.
    private func proxy(delayMs: Int64, jitterMs: Int64 = 0, targetPort: Int? = nil, sourceHost: String? = nil) async throws -> (LinkProxy, Int) {
        var route = LinkRoute.loopback(name: "test", listenPort: 0, targetPort: targetPort ?? echo.localAddress!.port!)
        route.sourceHost = sourceHost
        let proxy = LinkProxy(route: route, loop: group.next(), seed: 7)
        let port = try await proxy.start()
        await proxy.set(mode: .pass, delayMs: delayMs, jitterMs: jitterMs)
        return (proxy, port)
    }

    func testRoundTripPaysTheDelayInBothDirections() async throws {
        let delayMs: Int64 = 80
        let (proxy, port) = try await proxy(delayMs: delayMs)
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        let sent = Date()
        try writeAll(fd, Array("ping".utf8))
        let reply = try readExactly(fd, 4)
        let roundTripMs = Date().timeIntervalSince(sent) * 1000
        XCTAssertEqual(reply, Array("ping".utf8))
        XCTAssertGreaterThanOrEqual(roundTripMs, Double(2 * delayMs), "round trip \(roundTripMs) ms")
        XCTAssertLessThan(roundTripMs, Double(2 * delayMs) + 1_000, "round trip \(roundTripMs) ms")
        // Each direction on its own: the echo server saw the bytes only after the forward delay,
        // and the reply came back at least the delay after that.
        let arrived = try XCTUnwrap(arrivals.first)
        let forwardMs = arrived.timeIntervalSince(sent) * 1000
        XCTAssertGreaterThanOrEqual(forwardMs, Double(delayMs), "forward \(forwardMs) ms")
        XCTAssertGreaterThanOrEqual(roundTripMs - forwardMs, Double(delayMs), "return \(roundTripMs - forwardMs) ms")
        await proxy.stop()
    }

    func testZeroDelayStillRelaysAndCountsBothDirections() async throws {
        let (proxy, port) = try await proxy(delayMs: 0)
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        let payload = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        try writeAll(fd, payload)
        XCTAssertEqual(try readExactly(fd, payload.count), payload)
        try await waitUntil("the counters to show 10,000 bytes each way") {
            let c = await proxy.snapshot()
            return c.bytesForward == 10_000 && c.bytesBack == 10_000
        }
        let c = await proxy.snapshot()
        XCTAssertEqual(c.accepted, 1)
        XCTAssertEqual(c.open, 1)
        XCTAssertEqual(c.connectFailures, 0)
        await proxy.stop()
    }

    func testJitterNeverReordersBytes() async throws {
        // Chunks 2 ms apart with 0…40 ms of jitter: drawn release times overtake each other all the
        // time, so only the never-earlier-than-the-previous-chunk rule keeps the stream intact.
        let (proxy, port) = try await proxy(delayMs: 5, jitterMs: 40)
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        var sent: [UInt8] = []
        for i in 0..<150 {
            let chunk = withUnsafeBytes(of: UInt32(i).bigEndian) { Array($0) }
            try writeAll(fd, chunk)
            sent += chunk
            usleep(2_000)
        }
        let received = try readExactly(fd, sent.count)
        XCTAssertEqual(received, sent, "bytes came back out of order")
        XCTAssertGreaterThan(arrivals.count, 5, "the chunks were not relayed separately, so jitter was not exercised")
        await proxy.stop()
    }

    func testSenderIsHeldBackWhenTheTargetDoesNotRead() async throws {
        // A target that never reads: the proxy stops reading the sender past its queue limit, so the
        // sender can hand over at most the limit plus the kernel's socket buffers, never everything.
        let stalled = try await ServerBootstrap(group: group)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { stalled.close(promise: nil) }
        let (proxy, port) = try await proxy(delayMs: 1, targetPort: stalled.localAddress!.port!)
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let offer = 4 * LinkProxy.maxQueuedBytes
        let chunk = [UInt8](repeating: 0xAB, count: 65_536)
        var accepted = 0
        while accepted < offer {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            accepted += n
        }
        XCTAssertLessThan(accepted, offer, "the sender could write all \(offer) bytes: nothing held it back")
        XCTAssertLessThan(accepted, LinkProxy.maxQueuedBytes + (24 << 20), "accepted \(accepted) bytes")
        await proxy.stop()
    }

    func testUpstreamConnectionLeavesFromTheRouteSourceAddress() async throws {
        // The netns network gives each sending node its own source address, so a validator sees one
        // address per peer (its per-address limits then act as across hosts).
        let (proxy, port) = try await proxy(delayMs: 0, sourceHost: "127.0.0.7")
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        try writeAll(fd, Array("hi".utf8))
        XCTAssertEqual(try readExactly(fd, 2), Array("hi".utf8))
        XCTAssertEqual(arrivals.peers.first, "127.0.0.7")
        await proxy.stop()
    }

    func testBytesSentJustBeforeACloseStillArriveThenTheEnd() async throws {
        // A target that says goodbye and hangs up at once: the goodbye must not be lost in the
        // delay queue, and the end arrives one delay later, after it.
        let delayMs: Int64 = 60
        let farewell = try await ServerBootstrap(group: group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    child.writeAndFlush(ByteBuffer(string: "bye")).whenComplete { _ in child.close(promise: nil) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { farewell.close(promise: nil) }
        let (proxy, port) = try await proxy(delayMs: delayMs, targetPort: farewell.localAddress!.port!)
        let start = Date()
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        XCTAssertEqual(try readExactly(fd, 3), Array("bye".utf8))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start) * 1000, Double(delayMs))
        var byte: UInt8 = 0
        XCTAssertEqual(read(fd, &byte, 1), 0, "the connection should end after the goodbye")
        await proxy.stop()
    }

    func testTargetDownClosesTheConnectionAndCountsTheFailure() async throws {
        let closedPort = echo.localAddress!.port!
        try await echo.close()
        let (proxy, port) = try await proxy(delayMs: 0, targetPort: closedPort)
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        var byte: UInt8 = 0
        XCTAssertEqual(read(fd, &byte, 1), 0, "the proxy should close the connection when the target refuses")
        try await waitUntil("a counted connect failure") { await proxy.snapshot().connectFailures == 1 }
        await proxy.stop()
    }
}

/// Echoes every read and notes when each arrived.
private final class EchoHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let log: ArrivalLog
    init(log: ArrivalLog) { self.log = log }

    func channelActive(context: ChannelHandlerContext) {
        log.appendPeer(context.remoteAddress?.ipAddress ?? "?")
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        log.append(Date())
        context.writeAndFlush(data, promise: nil)
    }
}

/// Arrival times of the echo server's reads, and the addresses its connections came from.
private final class ArrivalLog: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [Date] = []
    private var remotes: [String] = []
    func append(_ t: Date) { lock.withLock { times.append(t) } }
    func appendPeer(_ address: String) { lock.withLock { remotes.append(address) } }
    var peers: [String] { lock.withLock { remotes } }
    var first: Date? { lock.withLock { times.first } }
    var count: Int { lock.withLock { times.count } }
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw POSIXError(.EIO) }
        offset += n
    }
}

/// Reads exactly `count` bytes (the socket's receive timeout bounds each read).
private func readExactly(_ fd: Int32, _ count: Int) throws -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while out.count < count {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, count - out.count)) }
        guard n > 0 else { throw POSIXError(.ETIMEDOUT) }
        out += buffer[..<n]
    }
    return out
}
