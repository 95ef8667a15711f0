// Checks the HTTP server in-process on a free port: past the connection limit, when every open connection is busy (WebSockets here), a new connection gets HTTP 503 with a JSON-RPC error and is closed; when one is waiting on its client (an idle keep-alive connection), it is evicted instead and the newcomer served; a freed slot is reusable.
import RPC
import TestSupport
import XCTest

final class RPCServerConnectionLimitTests: XCTestCase {
    func testConnectionsBeyondTheLimitGetA503WhenNoneCanBeEvictedAndTheServerServesOn() async throws {
        let limit = 3
        let server = try await RunningServer.start(configuration: RPCServerConfiguration(maxConnections: limit))
        defer { server.stop() }
        let port = server.port

        let call = #"{"jsonrpc":"2.0","id":1,"method":"health"}"#
        // WebSockets are never evicted: with all slots held by them, a newcomer is refused.
        var held: [RawHTTP] = []
        for _ in 0..<limit {
            let c = try RawHTTP(port: port)
            XCTAssertTrue(c.send(RawHTTP.webSocketUpgradeText()))
            XCTAssertTrue(c.readHead()?.hasPrefix("HTTP/1.1 101") == true)
            held.append(c)
        }
        let extra = try RawHTTP(port: port)
        let refused = try XCTUnwrap(extra.readResponse())
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 503"), refused)
        XCTAssertTrue(refused.contains("\"too_many_connections\""), refused)
        XCTAssertTrue(refused.contains("-32029"), refused)
        XCTAssertTrue(extra.isClosedByServer())

        // Closing one frees a slot; a keep-alive client takes it and idles after its answer.
        held.removeFirst()
        var idle: RawHTTP?
        try await waitUntil("a freed slot to be reusable (HTTP 200 on a new connection)", poll: .milliseconds(50)) {
            idle = try? RawHTTP(port: port)
            return idle?.post(call)?.hasPrefix("HTTP/1.1 200") == true
        }
        // At the limit again, the idle one is evicted for a newcomer (closed without an answer: it asked nothing),
        // and the WebSockets are left alone.
        let newcomer = try XCTUnwrap(try RawHTTP(port: port).post(call))
        XCTAssertTrue(newcomer.hasPrefix("HTTP/1.1 200"), newcomer)
        XCTAssertTrue(try XCTUnwrap(idle).isClosedByServer())
        try await waitUntil("the eviction to be counted") {
            PrometheusTextCheck.value(server.metricsText, "ledger_rpc_connections_evicted_total") == 1
        }

        // A body over the limit gets 413 with a JSON-RPC error (once the closed connections' slots are free).
        held.removeAll()
        var tooLarge: String?
        try await waitUntil("an answer other than 503 to an oversized body (the closed connections' slots freed)",
                            poll: .milliseconds(50)) {
            tooLarge = try RawHTTP(port: port).post(String(repeating: " ", count: RPCLimits.maxRequestBodyBytes + 1))
            return tooLarge?.hasPrefix("HTTP/1.1 503") != true
        }
        XCTAssertTrue(tooLarge?.hasPrefix("HTTP/1.1 413") == true, tooLarge ?? "no response")
        XCTAssertTrue(tooLarge?.contains("\"body_too_large\"") == true)
    }
}
