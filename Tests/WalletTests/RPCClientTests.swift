// The NIO JSON-RPC client against a scripted local HTTP server: results, keep-alive reuse, and each failure mapped to its error.
import Foundation
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
        let opened = await client.connectionsOpened
        XCTAssertEqual(opened, 1)
        // The request is a JSON-RPC 2.0 object with the method and params.
        let sent = try JSON.parse(server.requests[0])
        XCTAssertEqual(sent["jsonrpc"], .string("2.0"))
        XCTAssertEqual(sent["method"], .string("status"))
        await client.close()
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
                    await c.close()
                    return n
                }
            }
            var total = 0
            for try await n in group { total += n }
            XCTAssertEqual(total, 40)
        }
        XCTAssertEqual(server.accepted, 4)
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
        XCTAssertEqual(r, .number("2"))
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
