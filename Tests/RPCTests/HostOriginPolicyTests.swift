// Checks the Host/Origin policy: the rules on their own (IP literals, localhost, allow-lists), then on real sockets that a refused POST, preflight or WebSocket upgrade gets 403 with a JSON-RPC error saying why, an allowed one is served, and an allowed origin gets CORS headers (its own origin, never *) and its preflight answered 204.
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

    func testOnlyAnAllowedOriginIsEchoedForCORSAndNeverAWildcardOrNull() {
        let listed = HostOriginPolicy(allowedOrigins: ["https://app.example.org"])
        XCTAssertEqual(listed.corsAllowedOrigin("https://App.example.org"), "https://App.example.org", "echoed as the browser sent it")
        XCTAssertNil(listed.corsAllowedOrigin("https://evil.example"))
        XCTAssertNil(listed.corsAllowedOrigin(nil))
        let any = HostOriginPolicy(allowedOrigins: ["*"])
        XCTAssertEqual(any.corsAllowedOrigin("https://any.example"), "https://any.example")
        XCTAssertNil(any.corsAllowedOrigin("*"))
        XCTAssertNil(any.corsAllowedOrigin("null"))
    }

    func testAnAllowedOriginGetsCORSHeadersAndItsPreflightAnsweredAndOthersAre403() async throws {
        let server = try await RunningServer.start(configuration: RPCServerConfiguration(
            hostPolicy: HostOriginPolicy(allowedOrigins: ["https://app.example.org"])))
        defer { server.stop() }
        let call = #"{"jsonrpc":"2.0","id":1,"method":"health"}"#
        func preflight(origin: String, path: String = "/") -> String {
            "OPTIONS \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\norigin: \(origin)\r\naccess-control-request-method: POST\r\n"
                + "access-control-request-headers: content-type\r\n\r\n"
        }

        // The preflight of a JSON POST from the allowed page: 204 with what it may send, on a connection that stays usable.
        let page = try RawHTTP(port: server.port)
        XCTAssertTrue(page.send(preflight(origin: "https://app.example.org")))
        let answer = try XCTUnwrap(page.readHead(), "no answer to the preflight")
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 204"), answer)
        let fields = headerFields(answer)
        XCTAssertEqual(fields["access-control-allow-origin"], "https://app.example.org")
        XCTAssertEqual(fields["access-control-allow-methods"], "GET, POST, OPTIONS")
        XCTAssertEqual(fields["access-control-allow-headers"]?.lowercased(), "content-type")
        XCTAssertEqual(fields["access-control-max-age"], "\(RPCLimits.corsPreflightMaxAgeSeconds)")
        XCTAssertEqual(fields["vary"], "Origin")

        // Then the POST itself, on the same connection: answered, readable by the page.
        let served = try XCTUnwrap(page.post(call, headers: ["origin: https://app.example.org"]))
        XCTAssertTrue(served.hasPrefix("HTTP/1.1 200"), served)
        XCTAssertTrue(served.contains("\"result\""), served)
        XCTAssertEqual(headerFields(served)["access-control-allow-origin"], "https://app.example.org")
        XCTAssertEqual(headerFields(served)["vary"], "Origin")
        // A GET and an unknown path carry them too.
        page.send("GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\norigin: https://app.example.org\r\n\r\n")
        XCTAssertEqual(headerFields(try XCTUnwrap(page.readResponse()))["access-control-allow-origin"], "https://app.example.org")
        page.send("GET /nothing-here HTTP/1.1\r\nhost: 127.0.0.1\r\norigin: https://app.example.org\r\n\r\n")
        let missing = try XCTUnwrap(page.readHead())
        XCTAssertTrue(missing.hasPrefix("HTTP/1.1 404"), missing)
        XCTAssertEqual(headerFields(missing)["access-control-allow-origin"], "https://app.example.org")

        // A preflight from any other page is refused like its request would be: 403, no CORS header.
        let evil = try RawHTTP(port: server.port)
        XCTAssertTrue(evil.send(preflight(origin: "https://evil.example")))
        let refused = try XCTUnwrap(evil.readResponse())
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 403"), refused)
        XCTAssertTrue(refused.contains("\"origin_not_allowed\""), refused)
        XCTAssertNil(headerFields(refused)["access-control-allow-origin"])
        XCTAssertTrue(evil.isClosedByServer())

        // A client without Origin (the wallet, curl) gets no CORS headers.
        let plain = try XCTUnwrap(try RawHTTP(port: server.port).post(call))
        XCTAssertTrue(plain.hasPrefix("HTTP/1.1 200"), plain)
        XCTAssertNil(headerFields(plain)["access-control-allow-origin"])
        XCTAssertEqual(PrometheusTextCheck.value(server.metricsText, #"ledger_rpc_requests_forbidden_total{reason="origin_not_allowed"}"#), 1)
    }

    func testWithEveryOriginAllowedTheOriginIsEchoedNeverAWildcard() async throws {
        let server = try await RunningServer.start(configuration: RPCServerConfiguration(hostPolicy: HostOriginPolicy(allowedOrigins: ["*"])))
        defer { server.stop() }
        let served = try XCTUnwrap(try RawHTTP(port: server.port).post(
            #"{"jsonrpc":"2.0","id":1,"method":"health"}"#, headers: ["origin: https://any.example"]))
        XCTAssertTrue(served.hasPrefix("HTTP/1.1 200"), served)
        XCTAssertEqual(headerFields(served)["access-control-allow-origin"], "https://any.example")
    }

    /// The header fields of a response's head, names lowercased (a repeated name keeps its last value).
    private func headerFields(_ response: String) -> [String: String] {
        let head = response.components(separatedBy: "\r\n\r\n").first ?? ""
        var fields: [String: String] = [:]
        for line in head.components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
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
        let crossSite = try RawHTTP(port: server.port)
        crossSite.send(RawHTTP.webSocketUpgradeText(origin: "https://evil.example"))
        let refused = try XCTUnwrap(crossSite.readResponse())
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 403"), refused)
        XCTAssertTrue(refused.contains("\"origin_not_allowed\""), refused)

        let rebinding = try RawHTTP(port: server.port)
        rebinding.send(RawHTTP.webSocketUpgradeText(host: "evil.example"))
        XCTAssertTrue(rebinding.readResponse()?.hasPrefix("HTTP/1.1 403") == true)

        let local = try RawHTTP(port: server.port)
        local.send(RawHTTP.webSocketUpgradeText())
        let accepted = try XCTUnwrap(local.readHead())
        XCTAssertTrue(accepted.hasPrefix("HTTP/1.1 101"), accepted.debugDescription)
    }
}
