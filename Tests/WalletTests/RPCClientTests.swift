// The JSON-RPC client against a scripted local HTTP server: results, keep-alive reuse, each failure mapped to its error, and every call ending within its deadline whatever the server does.
import Foundation
import LedgerJSON
import TestSupport
import Wallet
import XCTest

final class RPCClientTests: XCTestCase {
    private static func ok(_ body: String, result: String, keepAlive: Bool = true) -> ScriptedReply {
        .respond(status: 200, body: #"{"jsonrpc":"2.0","id":\#(requestID(body)),"result":\#(result)}"#, keepAlive: keepAlive)
    }

    func testManySequentialCallsShareOneConnection() async throws {
        let server = try TestHTTPServer { body in Self.ok(body, result: #"{"height":"42","echo":\#(body.count)}"#) }
        defer { server.stop() }
        let client = try RPCClient(url: server.url)
        for _ in 0..<20 {
            let r = try await client.call("status")
            XCTAssertEqual(r["height"]?.uint64Value, 42)
        }
        XCTAssertEqual(server.accepted, 1)
        // The request is a JSON-RPC 2.0 object with the method and params.
        let sent = try JSONValue.parse(server.requests[0])
        XCTAssertEqual(sent["jsonrpc"], .string("2.0"))
        XCTAssertEqual(sent["method"], .string("status"))
    }

    func testParallelClientsWorkIndependently() async throws {
        let server = try TestHTTPServer { body in Self.ok(body, result: "\"pong\"") }
        defer { server.stop() }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let c = try RPCClient(url: server.url)
                    var n = 0
                    for _ in 0..<10 where try await c.call("health") == .string("pong") { n += 1 }
                    return n
                }
            }
            var total = 0
            for try await n in group { total += n }
            XCTAssertEqual(total, 40)
        }
        XCTAssertEqual(server.requests.count, 40)
    }

    func testServerClosingAfterEachAnswerIsHandledByReconnecting() async throws {
        let server = try TestHTTPServer { body in Self.ok(body, result: "1", keepAlive: false) }
        defer { server.stop() }
        let client = try RPCClient(url: server.url)
        for _ in 0..<3 { _ = try await client.call("health") }
        XCTAssertEqual(server.accepted, 3)
    }

    func testJSONRPCErrorsCarryCodeMessageAndData() async throws {
        let server = try TestHTTPServer { body in
            .respond(status: 200, body: #"{"jsonrpc":"2.0","id":\#(requestID(body)),"error":{"code":-32010,"message":"transaction rejected: nonce 7 already used; next is 9","data":{"reason":"nonce_too_low","expected":"9","got":"7"}}}"#, keepAlive: true)
        }
        defer { server.stop() }
        let client = try RPCClient(url: server.url)
        do {
            _ = try await client.call("broadcast_tx_sync", .object([("tx", .string("00"))]))
            XCTFail("expected an error")
        } catch let error as RPCClientError {
            guard case let .server(e, method) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(method, "broadcast_tx_sync")
            XCTAssertEqual(e.code, -32010)
            XCTAssertEqual(e.reason, "nonce_too_low")
            XCTAssertEqual(e.data?["expected"]?.stringValue, "9")
            XCTAssertEqual(WalletError.rpc(error).exitCode, WalletExitCode.nodeError)
        }
    }

    func testHTTPErrorsAndGarbageAreReportedWithTheURL() async throws {
        let server = try TestHTTPServer { body in
            if body.contains("\"a\"") { return .respond(status: 500, body: "boom", keepAlive: false) }
            if body.contains("\"b\"") { return .respond(status: 200, body: "not json", keepAlive: false) }
            if body.contains("\"c\"") { return .respond(status: 200, body: #"{"jsonrpc":"2.0","id":999,"result":1}"#, keepAlive: false) }
            if body.contains("\"d\"") {
                return .respond(status: 413, body: #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"body too large","data":{"reason":"body_too_large"}}}"#, keepAlive: false)
            }
            return .close
        }
        defer { server.stop() }
        let client = try RPCClient(url: server.url)
        await assertThrows(try await client.call("a")) { e in
            guard case let .httpStatus(url, 500, body) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(url, server.url)
            XCTAssertEqual(body, "boom")
        }
        await assertThrows(try await client.call("b")) { e in
            guard case .invalidResponse = e else { return XCTFail("\(e)") }
        }
        await assertThrows(try await client.call("c")) { e in
            guard case let .invalidResponse(_, reason) = e, reason.contains("id") else { return XCTFail("\(e)") }
        }
        await assertThrows(try await client.call("d")) { e in
            guard case let .server(err, _) = e, err.reason == "body_too_large" else { return XCTFail("\(e)") }
        }
        await assertThrows(try await client.call("e")) { e in
            guard case .connectionClosed = e else { return XCTFail("\(e)") }
        }
    }

    func testASilentNodeTimesOutAndTheNextCallUsesAFreshConnection() async throws {
        let server = try TestHTTPServer { body in body.contains("\"slow\"") ? .stall : Self.ok(body, result: "2") }
        defer { server.stop() }
        let client = try RPCClient(url: server.url, configuration: .init(requestTimeoutMs: 300))
        await assertThrows(try await client.call("slow")) { e in
            XCTAssertEqual(e, .timedOut(url: server.url, method: "slow", milliseconds: 300))
        }
        let r = try await client.call("fast")
        XCTAssertEqual(r, .int(2))
        XCTAssertEqual(server.accepted, 2)
    }

    func testAnUnreachableNodeNamesTheURLTried() async throws {
        // Find a port with nothing listening: open a server, note its port, stop it.
        let server = try TestHTTPServer { _ in .close }
        let port = server.port
        server.stop()
        let url = "http://127.0.0.1:\(port)/"
        let client = try RPCClient(url: url)
        await assertThrows(try await client.call("status")) { e in
            guard case let .unreachable(u, reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(u, url)
            XCTAssertTrue(reason.contains("refused"), reason)
            XCTAssertTrue(e.description.contains(url))
            XCTAssertEqual(WalletError.rpc(e).exitCode, WalletExitCode.unreachable)
        }
    }

    /// The hang this client once had: an answer with `Connection: close` followed at once by the next call,
    /// which could be written to the just-closed connection and then wait forever. Hundreds of such pairs,
    /// mixed with servers that close without answering, must each end with an answer or an error.
    func testCallsRightAfterTheNodeClosesNeverWait() async throws {
        let server = try TestHTTPServer { body in body.contains("\"shut\"") ? .close : Self.ok(body, result: "7", keepAlive: false) }
        defer { server.stop() }
        let client = try RPCClient(url: server.url, configuration: .init(requestTimeoutMs: 5_000))
        var answered = 0
        var closed = 0
        for i in 0..<300 {
            switch await client.callResult(i % 5 == 4 ? "shut" : "health") {
            case .success(.int(7)): answered += 1
            case .failure(.connectionClosed): closed += 1
            case let other: XCTFail("call \(i): \(other)")
            }
        }
        XCTAssertEqual(answered, 240)
        XCTAssertEqual(closed, 60)
    }

    /// Whatever the server does after taking the request, the call ends with the matching typed error, and within
    /// its deadline (the bound asserted is the deadline plus a margin for a loaded machine, not a speed target).
    func testEveryServerMisbehaviourEndsWithATypedErrorWithinTheDeadline() async throws {
        let big = "[" + String(repeating: "1,", count: 40_000) + "1]"
        let server = try TestHTTPServer { body in
            if body.contains("\"truncated\"") { return .truncated(body: #"{"jsonrpc":"2.0","id":1,"result":"0123456789"}"#, bytes: 10) }
            if body.contains("\"drip\"") { return .drip(body: #"{"jsonrpc":"2.0","id":1,"result":"0123456789abcdef"}"#, intervalMs: 100) }
            if body.contains("\"half\"") { return .halfClose }
            if body.contains("\"reset\"") { return .reset }
            if body.contains("\"garbage\"") { return .raw("SSH-2.0-OpenSSH_9.6\r\n\u{00}\u{ff}garbage\r\n\r\n") }
            if body.contains("\"huge\"") { return .respond(status: 200, body: #"{"jsonrpc":"2.0","id":1,"result":\#(big)}"#, keepAlive: true) }
            return .stall
        }
        defer { server.stop() }
        let deadlineMs: Int64 = 1_000
        let client = try RPCClient(url: server.url, configuration: .init(requestTimeoutMs: deadlineMs, maxResponseBytes: 64 * 1024))
        let cases: [(String, (RPCClientError) -> Bool)] = [
            ("stall", { if case .timedOut(_, "stall", 1_000) = $0 { true } else { false } }),
            ("drip", { if case .timedOut = $0 { true } else { false } }),
            ("truncated", { if case .connectionClosed = $0 { true } else { false } }),
            ("half", { if case .connectionClosed = $0 { true } else { false } }),
            ("reset", { if case .connectionClosed = $0 { true } else { false } }),
            ("garbage", { if case .invalidResponse = $0 { true } else if case .connectionClosed = $0 { true } else { false } }),
            ("huge", { if case let .invalidResponse(_, reason) = $0 { reason.contains("larger than 65536") } else { false } }),
        ]
        for (method, expected) in cases {
            let started = ContinuousClock.now
            let outcome = await client.callResult(method)
            let took = ContinuousClock.now - started
            guard case let .failure(error) = outcome else { XCTFail("\(method): expected an error, got \(outcome)"); continue }
            XCTAssertTrue(expected(error), "\(method): unexpected error \(error)")
            XCTAssertLessThan(took, .milliseconds(deadlineMs) + .seconds(5), "\(method) took \(took)")
            XCTAssertTrue(error.description.contains(server.url), "\(method): \(error.description) does not name the URL")
        }
    }

    func testACallCancelledByItsCallerReturnsPromptly() async throws {
        let server = try TestHTTPServer { _ in .stall }
        defer { server.stop() }
        let client = try RPCClient(url: server.url, configuration: .init(requestTimeoutMs: 60_000))
        let call = Task { await client.callResult("stall") }
        try await waitUntil("the test server to read the request") { server.requests.count >= 1 }
        call.cancel()
        let started = ContinuousClock.now
        guard case .failure = await call.value else { return XCTFail("a cancelled call succeeded") }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
    }

    func testHTTPSURLsAreAcceptedAndATLSFailureIsAnError() async throws {
        // A plain-HTTP server spoken to over TLS: the handshake fails, and the call says so instead of hanging.
        let server = try TestHTTPServer { _ in .stall }
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"
        let client = try RPCClient(url: url, configuration: .init(requestTimeoutMs: 2_000))
        XCTAssertEqual(client.endpoint.scheme, "https")
        guard case let .failure(error) = await client.callResult("status") else { return XCTFail("TLS to a plain server succeeded") }
        XCTAssertTrue(error.description.contains(url), "\(error)")
    }

    private func assertThrows<T>(
        _ body: @autoclosure () async throws -> T, file: StaticString = #filePath, line: UInt = #line,
        _ check: (RPCClientError) -> Void
    ) async {
        do {
            _ = try await body()
            XCTFail("expected an error", file: file, line: line)
        } catch let error as RPCClientError {
            check(error)
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
        }
    }
}
