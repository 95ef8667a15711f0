// Checks the HTTP server in-process on a free port: past the connection limit a new connection gets HTTP 503 with a JSON-RPC error and is closed, the held ones keep working, and a freed slot is reusable.
import RPC
import TestSupport
import XCTest

final class RPCServerConnectionLimitTests: XCTestCase {
    func testConnectionsBeyondTheLimitGetA503AndTheServerServesOn() async throws {
        let limit = 3
        let server = try await RunningServer.start(configuration: RPCServerConfiguration(maxConnections: limit))
        defer { server.stop() }
        let port = server.port

        let call = #"{"jsonrpc":"2.0","id":1,"method":"health"}"#
        var held: [RawHTTP] = []
        for _ in 0..<limit {
            let c = try RawHTTP(port: port)
            XCTAssertTrue(c.post(call)?.hasPrefix("HTTP/1.1 200") == true)
            held.append(c)
        }
        let extra = try RawHTTP(port: port)
        let refused = try XCTUnwrap(extra.readResponse())
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 503"), refused)
        XCTAssertTrue(refused.contains("\"too_many_connections\""), refused)
        XCTAssertTrue(refused.contains("-32029"), refused)
        // The held connections still work (keep-alive), and closing one frees a slot.
        XCTAssertTrue(held[1].post(call)?.contains("\"result\"") == true)
        held.removeFirst()
        try await waitUntil("a freed slot to be reusable (HTTP 200 on a new connection)", poll: .milliseconds(50)) {
            (try? RawHTTP(port: port))?.post(call)?.hasPrefix("HTTP/1.1 200") == true
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
