// Checks on real loopback sockets, with the caps scaled down (16 connections, 4 per address) and deadlines far off, that stalled connections from several source addresses (127.0.0.2-…, "a botnet") cannot keep an honest client out until their deadlines pass: a newcomer at the full cap evicts the longest-stalled connection of the busiest address, is answered at once, and the eviction is counted; a client that completes its requests promptly is not evicted ahead of stalled ones.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RPC
import TestSupport
import XCTest

final class RPCServerEvictionTests: XCTestCase {
    private let status = #"{"jsonrpc":"2.0","id":1,"method":"status"}"#

    /// Caps scaled down from 512 / 32; every deadline far beyond the test, so only eviction can free a slot.
    private func configuration(maxConnections: Int, perAddress: Int) -> RPCServerConfiguration {
        RPCServerConfiguration(maxConnections: maxConnections, maxConnectionsPerAddress: perAddress,
                               requestHeadTimeoutMs: 60_000, requestBodyTimeoutMs: 60_000, idleConnectionTimeoutMs: 60_000)
    }

    /// The ways a connection holds a slot without being served: silent since connecting, a head begun and never
    /// finished, a head announcing 1 MiB followed by a few bytes, and idle after one request.
    private enum Stall: CaseIterable {
        case silent, partialHead, partialBody, idleKeepAlive
    }

    /// Stalls the open connection `c` `how`.
    private func stall(_ c: RawHTTP, _ how: Stall) {
        switch how {
        case .silent: break
        case .partialHead: XCTAssertTrue(c.send("POST / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-pad: 1\r\n"))
        case .partialBody:
            XCTAssertTrue(c.send("POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n{\"js"))
        case .idleKeepAlive: XCTAssertEqual(c.post(status)?.hasPrefix("HTTP/1.1 200"), true, "the idle attacker's one request")
        }
    }

    /// Opens a connection from `source` and stalls it `how`.
    private func stalled(_ how: Stall, port: Int, source: String) throws -> RawHTTP {
        let c = try RawHTTP(port: port, source: source)
        stall(c, how)
        return c
    }

    /// Opens `perAddress` + 1 connections from `source` and returns the `perAddress` the server admitted, stalled
    /// `how`: exactly one is refused 429 by the per-address cap, which also shows the others were admitted and
    /// counted before it. (Which one is refused depends on the order the event loops admit them, not on the order
    /// they connected; they are stalled only once that is known, so no request bytes race a refusal.)
    private func fill(_ source: String, _ how: Stall, perAddress: Int, port: Int) async throws -> [RawHTTP] {
        var opened = try (0...perAddress).map { _ in try RawHTTP(port: port, source: source) }
        var refused: RawHTTP?
        try await waitUntil("one of \(source)'s \(perAddress + 1) connections to be refused") {
            refused = opened.first(where: \.isReadable)
            return refused != nil
        }
        let answer = try XCTUnwrap(refused?.readResponse(), "no answer to the connection over \(source)'s cap")
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 429"), answer)
        opened.removeAll { $0 === refused }
        XCTAssertFalse(opened.contains(where: \.isReadable), "more than one of \(source)'s connections was answered")
        for c in opened { stall(c, how) }
        return opened
    }

    /// `ledger_rpc_connections_evicted_total` (nil when the series is not there).
    private func evictions(_ server: RunningServer) -> Double? {
        PrometheusTextCheck.value(server.metricsText, "ledger_rpc_connections_evicted_total")
    }

    func testStalledConnectionsFromFourAddressesFillingTheCapDoNotKeepAnHonestStatusCallOut() async throws {
        let cap = 16, perAddress = 4
        let log = LogCapture()
        let server = try await RunningServer.start(configuration: configuration(maxConnections: cap, perAddress: perAddress),
                                                   logger: log.logger(label: "rpc"))
        defer { server.stop() }
        let sources = (2...5).map { "127.0.0.\($0)" }
        var attack: [[RawHTTP]] = []
        for (i, source) in sources.enumerated() {
            // Each address stalls its connections one way (all four ways across the four addresses); a fifth is
            // refused, so the server has admitted this address's four before the next address begins.
            attack.append(try await fill(source, Stall.allCases[i % Stall.allCases.count], perAddress: perAddress, port: server.port))
        }

        // The honest client: a new connection from 127.0.0.1, one status call, answered at once.
        let started = ContinuousClock.now
        let honest = try RawHTTP(port: server.port, source: "127.0.0.1")
        let answer = try XCTUnwrap(honest.post(status), "the honest status call got no answer within 5 s")
        let elapsed = ContinuousClock.now - started
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), "honest status call during the stall: \(answer.prefix(200))")
        XCTAssertLessThan(elapsed, .seconds(2), "the honest status call was not answered promptly")
        try await waitUntil("the eviction to be counted on /metrics") { self.evictions(server) == 1 }

        // The one evicted is the longest stalled of the busiest addresses (all hold four): one of 127.0.0.2's, silent
        // since they connected before any other address's (which of the four depends on the order the event loops
        // admitted them). It is told why and closed; every other stalled connection is left alone.
        var told: [RawHTTP] = []
        try await waitUntil("one connection of 127.0.0.2 to be answered") {
            told = attack.joined().filter(\.isReadable)
            return !told.isEmpty
        }
        XCTAssertEqual(told.count, 1)
        XCTAssertTrue(attack[0].contains { $0 === told[0] }, "the evicted connection is not one of the longest stalled")
        let evicted = try XCTUnwrap(told[0].readResponse(), "the evicted connection got no answer")
        XCTAssertTrue(evicted.hasPrefix("HTTP/1.1 503"), evicted)
        XCTAssertTrue(evicted.contains("\"evicted\""), evicted)
        XCTAssertTrue(told[0].isClosedByServer())
        XCTAssertEqual(attack.joined().filter(\.isReadable).count, 1, "another stalled connection was closed")
        XCTAssertEqual(PrometheusTextCheck.value(
            server.metricsText, #"ledger_rpc_connections_refused_total{reason="too_many_connections"}"#), 0)
        // The idle attackers (127.0.0.5) still hold their connections: one of them is still served.
        XCTAssertTrue(attack[3][1].post(status)?.hasPrefix("HTTP/1.1 200") == true)
        // And the honest connection keeps working.
        XCTAssertTrue(honest.post(status)?.hasPrefix("HTTP/1.1 200") == true)

        // Logged rate-limited: the first incident (a 429 above) at once, the eviction only counted for the next line.
        let lines = log.lines("rpc connections refused, timed out or evicted")
        XCTAssertEqual(lines.count, 1, "\(lines.map(\.metadata))")
        XCTAssertEqual(lines.first?.metadata["counts"], "refused_too_many_from_address=1")
    }

    func testAnEvictionIsLoggedWithThePhaseItStalledIn() async throws {
        let log = LogCapture()
        let server = try await RunningServer.start(configuration: configuration(maxConnections: 2, perAddress: 2),
                                                   logger: log.logger(label: "rpc"))
        defer { server.stop() }
        // Two idle keep-alive connections fill the cap (their answers prove both were admitted).
        let idle = try (0..<2).map { _ in try stalled(.idleKeepAlive, port: server.port, source: "127.0.0.2") }
        XCTAssertTrue(try RawHTTP(port: server.port).post(status)?.hasPrefix("HTTP/1.1 200") == true)
        // The first incident of the server is logged at once.
        try await waitUntil("the eviction's log line") {
            log.lines("rpc connections refused, timed out or evicted").first?.metadata["counts"] == "evicted_idle=1"
        }
        XCTAssertTrue(idle[0].isClosedByServer(), "the longest idle connection was not the one evicted")
        XCTAssertTrue(idle[1].post(status)?.hasPrefix("HTTP/1.1 200") == true)
    }

    func testAPromptKeepAliveClientIsNotEvictedAheadOfStalledConnections() async throws {
        // One connection per address everywhere: the busiest-address rule ties, and only how long a connection has
        // been waiting on its client decides. The honest client asks before each attacker arrives, so it has always
        // waited less than every stalled connection.
        let cap = 8
        let server = try await RunningServer.start(configuration: configuration(maxConnections: cap, perAddress: 4))
        defer { server.stop() }
        let honest = try RawHTTP(port: server.port, source: "127.0.0.1")
        var attack: [RawHTTP] = []
        let attackers = 3 * cap
        for i in 0..<attackers {
            XCTAssertTrue(honest.post(status)?.hasPrefix("HTTP/1.1 200") == true, "the honest keep-alive connection failed before attacker \(i)")
            attack.append(try stalled(Stall.allCases[i % Stall.allCases.count], port: server.port, source: "127.0.0.\(10 + i)"))
        }
        XCTAssertTrue(honest.post(status)?.hasPrefix("HTTP/1.1 200") == true, "the honest keep-alive connection was evicted")
        // Every attacker past the free slots evicted an older attacker: the cap held, nobody was refused.
        let admittedWithoutEviction = cap - 1
        try await waitUntil("every eviction to be counted") { self.evictions(server) == Double(attackers - admittedWithoutEviction) }
        XCTAssertEqual(PrometheusTextCheck.value(
            server.metricsText, #"ledger_rpc_connections_refused_total{reason="too_many_connections"}"#), 0)
        // The oldest attackers were closed; the newest still hold their slots (the last one idles after a request).
        XCTAssertTrue(attack[0].isClosedByServer())
        XCTAssertTrue(attack[attackers - 1].post(status)?.hasPrefix("HTTP/1.1 200") == true)
    }
}
