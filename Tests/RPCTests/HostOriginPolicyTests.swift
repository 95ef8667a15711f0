// Checks the Host/Origin policy: the rules on their own (IP literals, localhost, allow-lists), then on real sockets that a refused POST or WebSocket upgrade gets 403 with a JSON-RPC error saying why and an allowed one is served.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RPC
import TestSupport
import XCTest

final class HostOriginPolicyTests: XCTestCase {
    func testIPLiteralsAndLocalhostAreServedAndOtherNamesOnlyWhenListed() {
        let policy = HostOriginPolicy()
        for host in ["127.0.0.1:26700", "127.0.0.1", "10.1.2.3:80", "[::1]:26700", "localhost:26700", "LOCALHOST", "localhost."] {
            XCTAssertNil(policy.refusal(host: host, origin: nil), host)
        }
        for host in ["evil.example:26700", "evil.example", "127.0.0.1.evil.example", "1.2.3", "256.1.1.1", "localhost.evil.example"] {
            XCTAssertEqual(policy.refusal(host: host, origin: nil)?.reason, "host_not_allowed", host)
        }
        XCTAssertNil(policy.refusal(host: nil, origin: nil), "no Host header (HTTP/1.0 tools) is not a browser")
        let listed = HostOriginPolicy(allowedHosts: ["Node.Example.org"])
        XCTAssertNil(listed.refusal(host: "node.example.org:443", origin: nil))
        XCTAssertNotNil(listed.refusal(host: "other.example.org", origin: nil))
        XCTAssertNil(HostOriginPolicy(allowedHosts: ["*"]).refusal(host: "anything.example", origin: nil))
    }

    func testARequestWithAnOriginIsServedOnlyWhenTheOriginIsListed() {
        XCTAssertEqual(HostOriginPolicy().refusal(host: "127.0.0.1", origin: "https://evil.example")?.reason, "origin_not_allowed")
        XCTAssertEqual(HostOriginPolicy().refusal(host: "127.0.0.1", origin: "null")?.reason, "origin_not_allowed")
        let listed = HostOriginPolicy(allowedOrigins: ["https://app.example.org"])
        XCTAssertNil(listed.refusal(host: "127.0.0.1", origin: "https://APP.example.org"))
        XCTAssertNotNil(listed.refusal(host: "127.0.0.1", origin: "https://app.example.org.evil.example"))
        XCTAssertNil(HostOriginPolicy(allowedOrigins: ["*"]).refusal(host: "127.0.0.1", origin: "https://any.example"))
    }

    func testRefusedRequestsGet403WithTheReasonAndAllowedOnesAreServed() async throws {
        let server = try await RunningServer.start(configuration: RPCServerConfiguration(
            hostPolicy: HostOriginPolicy(allowedHosts: ["node.example.org"], allowedOrigins: ["https://app.example.org"])))
        defer { server.stop() }
        let call = #"{"jsonrpc":"2.0","id":1,"method":"health"}"#

        let rebinding = try XCTUnwrap(try RawHTTP(port: server.port).post(call, host: "evil.example:26700"))
        XCTAssertTrue(rebinding.hasPrefix("HTTP/1.1 403"), rebinding)
        XCTAssertTrue(rebinding.contains("\"host_not_allowed\""), rebinding)
        XCTAssertTrue(rebinding.contains("-32030"), rebinding)
        XCTAssertTrue(rebinding.contains("--rpc-allowed-hosts"), rebinding)

        let crossSite = try RawHTTP(port: server.port)
        let refused = try XCTUnwrap(crossSite.post(call, headers: ["origin: https://evil.example"]))
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 403"), refused)
        XCTAssertTrue(refused.contains("\"origin_not_allowed\""), refused)
        XCTAssertTrue(crossSite.isClosedByServer())

        XCTAssertTrue(try RawHTTP(port: server.port).post(call, host: "node.example.org")?.hasPrefix("HTTP/1.1 200") == true)
        XCTAssertTrue(try RawHTTP(port: server.port).post(call, headers: ["origin: https://app.example.org"])?
            .hasPrefix("HTTP/1.1 200") == true)
        XCTAssertTrue(try RawHTTP(port: server.port).post(call, host: "localhost:1")?.hasPrefix("HTTP/1.1 200") == true)
        let metrics = server.metricsText
        XCTAssertEqual(PrometheusTextCheck.value(metrics, #"ledger_rpc_requests_forbidden_total{reason="host_not_allowed"}"#), 1)
        XCTAssertEqual(PrometheusTextCheck.value(metrics, #"ledger_rpc_requests_forbidden_total{reason="origin_not_allowed"}"#), 1)
    }

    func testAWebSocketUpgradeGetsTheSameChecks() async throws {
        let server = try await RunningServer.start()
        defer { server.stop() }
        func upgrade(host: String, origin: String?) -> String {
            "GET /websocket HTTP/1.1\r\nhost: \(host)\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
                + "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n"
                + (origin.map { "origin: \($0)\r\n" } ?? "") + "\r\n"
        }
        let crossSite = try RawHTTP(port: server.port)
        crossSite.send(upgrade(host: "127.0.0.1", origin: "https://evil.example"))
        let refused = try XCTUnwrap(crossSite.readResponse())
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 403"), refused)
        XCTAssertTrue(refused.contains("\"origin_not_allowed\""), refused)

        let rebinding = try RawHTTP(port: server.port)
        rebinding.send(upgrade(host: "evil.example", origin: nil))
        XCTAssertTrue(rebinding.readResponse()?.hasPrefix("HTTP/1.1 403") == true)

        let local = try RawHTTP(port: server.port)
        local.send(upgrade(host: "127.0.0.1", origin: nil))
        let accepted = try XCTUnwrap(readHead(local))
        XCTAssertTrue(accepted.hasPrefix("HTTP/1.1 101"), accepted.debugDescription)
    }

    /// Reads until the end of a response head (a 101 has no body to wait for).
    private func readHead(_ c: RawHTTP) -> String? {
        var data: [UInt8] = []
        var byte: UInt8 = 0
        while !String(decoding: data, as: UTF8.self).hasSuffix("\r\n\r\n") {
            guard recv(c.fd, &byte, 1, 0) == 1 else { return data.isEmpty ? nil : String(decoding: data, as: UTF8.self) }
            data.append(byte)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
