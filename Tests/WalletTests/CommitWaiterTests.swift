// Waiting for a commit against a scripted node: polls `tx` until final, falls back to scanning blocks, times out without re-sending.
import Foundation
import Wallet
import XCTest

final class CommitWaiterTests: XCTestCase {
    private static func reply(_ body: String, _ result: String) -> ScriptedReply {
        .respond(status: 200, body: #"{"jsonrpc":"2.0","id":\#(requestID(body)),"result":\#(result)}"#, keepAlive: true)
    }

    private let hash = String(repeating: "ab", count: 32)

    func testPollsTxUntilCommittedAndNeverResubmits() async throws {
        let polls = Counter()
        let h = hash
        let server = try TestHTTPServer { body in
            guard body.contains("\"tx\"") else { return Self.reply(body, "{}") }
            let n = polls.increment()
            if n < 3 { return Self.reply(body, #"{"hash":"\#(h)","status":"pending"}"#) }
            return Self.reply(body, #"{"hash":"\#(h)","status":"committed","height":"12","index":3,"receipt":{"status":"success"}}"#)
        }
        defer { server.stop() }
        var waiter = CommitWaiter(node: WalletNode(client: try RPCClient(url: server.url)))
        waiter.pollIntervalMs = 10
        let outcome = try await waiter.wait(for: hash, startHeight: 0, timeoutSeconds: 10)
        XCTAssertEqual(outcome.status, "committed")
        XCTAssertEqual(outcome.height, 12)
        XCTAssertEqual(outcome.index, 3)
        XCTAssertEqual(polls.value, 3)
        XCTAssertFalse(server.requests.contains { $0.contains("broadcast") })
    }

    func testTimeoutNamesTheHashAndHowToKeepWaiting() async throws {
        let h = hash
        let server = try TestHTTPServer { body in Self.reply(body, #"{"hash":"\#(h)","status":"pending"}"#) }
        defer { server.stop() }
        var waiter = CommitWaiter(node: WalletNode(client: try RPCClient(url: server.url)))
        waiter.pollIntervalMs = 20
        do {
            _ = try await waiter.wait(for: hash, startHeight: 0, timeoutSeconds: 0.2)
            XCTFail("expected a timeout")
        } catch let error as WalletError {
            guard case .commitTimeout(hash: h, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(error.exitCode, WalletExitCode.timeout)
            XCTAssertTrue(error.description.contains("wallet tx \(h)"), error.description)
            XCTAssertTrue(error.description.contains("NOT re-sent"))
        }
        XCTAssertFalse(server.requests.contains { $0.contains("broadcast") })
    }

    func testNodesWithoutTxAreSearchedBlockByBlock() async throws {
        let h = hash
        let server = try TestHTTPServer { body in
            if body.contains("\"tx\"") {
                return .respond(status: 200, body: #"{"jsonrpc":"2.0","id":\#(requestID(body)),"error":{"code":-32601,"message":"no"}}"#, keepAlive: true)
            }
            if body.contains("\"status\"") { return Self.reply(body, #"{"height":"7"}"#) }
            if body.contains("\"height\":\"7\"") {
                return Self.reply(body, #"{"hash":"00","receipts":[{"tx_hash":"\#(h)","index":0,"status":"failed","reason":"bad nonce"}]}"#)
            }
            return Self.reply(body, #"{"hash":"00","receipts":[]}"#)
        }
        defer { server.stop() }
        var waiter = CommitWaiter(node: WalletNode(client: try RPCClient(url: server.url)))
        waiter.pollIntervalMs = 10
        let outcome = try await waiter.wait(for: hash, startHeight: 4, timeoutSeconds: 10)
        XCTAssertEqual(outcome.status, "failed")
        XCTAssertEqual(outcome.height, 7)
        XCTAssertEqual(outcome.reason, "bad nonce")
        // Only heights after the start were read.
        XCTAssertFalse(server.requests.contains { $0.contains("\"height\":\"4\"") })
        XCTAssertTrue(server.requests.contains { $0.contains("\"height\":\"5\"") })
    }
}

/// A thread-safe counter for scripted servers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
}
