// Checks the HTTP server against slow and abusive clients on real loopback sockets, with deadlines shortened to a second: a trickled head, a stalled body and an idle keep-alive connection are closed (and counted) while other clients are answered, and one source address cannot take more than its share of connections.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RPC
import TestSupport
import XCTest

final class RPCServerAbuseTests: XCTestCase {
    private let status = #"{"jsonrpc":"2.0","id":1,"method":"status"}"#

    private func configuration(headMs: Int64 = 60_000, bodyMs: Int64 = 60_000, idleMs: Int64 = 60_000,
                               perAddress: Int = RPCLimits.maxConnectionsPerAddress) -> RPCServerConfiguration {
        RPCServerConfiguration(maxConnectionsPerAddress: perAddress, requestHeadTimeoutMs: headMs,
                               requestBodyTimeoutMs: bodyMs, idleConnectionTimeoutMs: idleMs)
    }

    /// Sends `line` every `everyMs` on `connection` until a send fails or `times` were sent (the attack's own pace).
    private func trickle(_ connection: RawHTTP, _ line: String, everyMs: Int, times: Int) -> Task<Void, Never> {
        let fd = connection.fd
        return Task.detached {
            for _ in 0..<times {
                let sent = Array(line.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 || Task.isCancelled { return }
                try? await Task.sleep(for: .milliseconds(everyMs))
            }
        }
    }

    func testATrickledRequestHeadIsAnswered408AndClosedAtTheHeadDeadlineWhileOthersAreServed() async throws {
        let server = try await RunningServer.start(configuration: configuration(headMs: 1_000))
        defer { server.stop() }
        let slow = try RawHTTP(port: server.port)
        let started = ContinuousClock.now
        XCTAssertTrue(slow.send("POST / HTTP/1.1\r\nhost: 127.0.0.1\r\n"))
        let trickling = trickle(slow, "x-pad: 1\r\n", everyMs: 100, times: 100)
        defer { trickling.cancel() }

        // Meanwhile another client is answered at once.
        let other = try RawHTTP(port: server.port)
        XCTAssertTrue(other.post(status)?.hasPrefix("HTTP/1.1 200") == true)

        let answer = try XCTUnwrap(slow.readResponse(), "no answer to the trickled head within the receive timeout")
        let elapsed = ContinuousClock.now - started
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408"), answer)
        XCTAssertTrue(answer.contains("\"header_timeout\""), answer)
        XCTAssertTrue(slow.isClosedByServer())
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(1_000), "closed before the head deadline")
        XCTAssertLessThan(elapsed, .milliseconds(4_000), "trickling kept the connection past the head deadline")
        XCTAssertEqual(PrometheusTextCheck.value(server.metricsText, #"ledger_rpc_connections_timed_out_total{phase="header"}"#), 1)
        // The well-behaved connection was not touched.
        XCTAssertTrue(other.post(status)?.hasPrefix("HTTP/1.1 200") == true)
    }

    func testASilentNewConnectionIsClosedAtTheHeadDeadline() async throws {
        let server = try await RunningServer.start(configuration: configuration(headMs: 500))
        defer { server.stop() }
        let silent = try RawHTTP(port: server.port)
        let answer = try XCTUnwrap(silent.readResponse())
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408"), answer)
        XCTAssertTrue(silent.isClosedByServer())
    }

    func testAStalledBodyIsAnswered408AndClosedAtTheBodyDeadline() async throws {
        let server = try await RunningServer.start(configuration: configuration(headMs: 500, bodyMs: 1_500))
        defer { server.stop() }
        let slow = try RawHTTP(port: server.port)
        let started = ContinuousClock.now
        // A complete head announcing 1 MiB, then a byte every 100 ms (past the head deadline: the body rule holds).
        XCTAssertTrue(slow.send("POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n"))
        let trickling = trickle(slow, " ", everyMs: 100, times: 200)
        defer { trickling.cancel() }
        let answer = try XCTUnwrap(slow.readResponse(), "no answer to the stalled body within the receive timeout")
        let elapsed = ContinuousClock.now - started
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408"), answer)
        XCTAssertTrue(answer.contains("\"body_timeout\""), answer)
        XCTAssertTrue(slow.isClosedByServer())
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(1_500))
        XCTAssertLessThan(elapsed, .milliseconds(4_500))
        XCTAssertEqual(PrometheusTextCheck.value(server.metricsText, #"ledger_rpc_connections_timed_out_total{phase="body"}"#), 1)
    }

    func testAnIdleKeepAliveConnectionIsClosedAtTheIdleDeadlineAndABusyOneIsNot() async throws {
        let server = try await RunningServer.start(configuration: configuration(headMs: 5_000, idleMs: 1_000))
        defer { server.stop() }
        let idle = try RawHTTP(port: server.port)
        XCTAssertTrue(idle.post(status)?.hasPrefix("HTTP/1.1 200") == true)
        let busy = try RawHTTP(port: server.port)
        let started = ContinuousClock.now
        // The busy connection keeps asking every 300 ms, past the idle limit: each request restarts its clock.
        while ContinuousClock.now - started < .milliseconds(1_800) {
            XCTAssertTrue(busy.post(status)?.hasPrefix("HTTP/1.1 200") == true, "a connection in use was closed")
            try await Task.sleep(for: .milliseconds(300))
        }
        XCTAssertTrue(idle.isClosedByServer(), "the idle connection is still open")
        XCTAssertTrue(busy.post(status)?.hasPrefix("HTTP/1.1 200") == true)
        XCTAssertEqual(PrometheusTextCheck.value(server.metricsText, #"ledger_rpc_connections_timed_out_total{phase="idle"}"#), 1)
    }

    func testOneAddressGetsAtMostItsCapWhileAnotherAddressIsServed() async throws {
        let cap = 4
        let server = try await RunningServer.start(configuration: configuration(perAddress: cap))
        defer { server.stop() }
        var held: [RawHTTP] = []
        for _ in 0..<cap {
            let c = try RawHTTP(port: server.port, source: "127.0.0.1")
            XCTAssertTrue(c.post(status)?.hasPrefix("HTTP/1.1 200") == true)
            held.append(c)
        }
        let extra = try RawHTTP(port: server.port, source: "127.0.0.1")
        let refused = try XCTUnwrap(extra.readResponse(), "the connection over the cap got no answer")
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 429"), refused)
        XCTAssertTrue(refused.contains("\"too_many_from_address\""), refused)
        XCTAssertTrue(extra.isClosedByServer())

        // Another source address is served meanwhile.
        let elsewhere = try RawHTTP(port: server.port, source: "127.0.0.2")
        XCTAssertTrue(elsewhere.post(status)?.hasPrefix("HTTP/1.1 200") == true)
        XCTAssertEqual(PrometheusTextCheck.value(server.metricsText, #"ledger_rpc_connections_refused_total{reason="too_many_from_address"}"#), 1)

        // Closing one frees the address's slot.
        held.removeFirst()
        try await waitUntil("a freed per-address slot to be reusable (HTTP 200 from 127.0.0.1)", poll: .milliseconds(50)) {
            (try? RawHTTP(port: server.port, source: "127.0.0.1"))?.post(status)?.hasPrefix("HTTP/1.1 200") == true
        }
    }
}
