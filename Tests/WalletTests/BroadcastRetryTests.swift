// The wallet's broadcast against a scripted node: "busy" and "nonce_gap" refusals are resent until the
// node takes the transfer or the retry time is up; final refusals are not resent.
import Foundation
@testable import Wallet
import XCTest
import LedgerJSON

final class BroadcastRetryTests: XCTestCase {
    private let transfer = SignedTransfer(bytes: [1, 2, 3], hash: String(repeating: "ab", count: 32), sender: "s", recipient: "r",
                                          amount: 5, nonce: 7)

    private static func refusal(_ body: String, reason: String, extra: String = "") -> ScriptedReply {
        .respond(status: 200, body: #"{"jsonrpc":"2.0","id":\#(requestID(body)),"error":{"code":-32010,"message":"transaction rejected: \#(reason)","data":{"reason":"\#(reason)"\#(extra)}}}"#,
                 keepAlive: true)
    }

    /// A server refusing the first `refusals` calls with `reason`, then admitting.
    private func server(refusing refusals: Int, reason: String, extra: String = "") throws -> TestHTTPServer {
        let calls = CallCounter()
        let hash = transfer.hash
        return try TestHTTPServer { body in
            if calls.next() < refusals { return Self.refusal(body, reason: reason, extra: extra) }
            return .respond(status: 200, body: #"{"jsonrpc":"2.0","id":\#(requestID(body)),"result":{"hash":"\#(hash)"}}"#, keepAlive: true)
        }
    }

    func testBusyAndNonceGapAreResentUntilTheNodeTakesTheTransfer() async throws {
        for reason in ["busy", "nonce_gap"] {
            let s = try server(refusing: 3, reason: reason, extra: #","retry_after_ms":"20""#)
            defer { s.stop() }
            let node = WalletNode(client: try RPCClient(url: s.url))
            let hash = try await node.broadcast(transfer, retrySeconds: 10)
            XCTAssertEqual(hash, transfer.hash)
            XCTAssertEqual(s.requests.count, 4, "\(reason): three refusals, then admitted")
        }
    }

    /// Broadcasts to a server refusing every call with `reason`; the wallet error it ends in and the calls it made.
    private func refusedForGood(reason: String, extra: String, retrySeconds: Double) async throws -> (WalletError?, Int) {
        let s = try server(refusing: .max, reason: reason, extra: extra)
        defer { s.stop() }
        let node = WalletNode(client: try RPCClient(url: s.url))
        do {
            _ = try await node.broadcast(transfer, retrySeconds: retrySeconds)
            return (nil, s.requests.count)
        } catch let e as WalletError {
            return (e, s.requests.count)
        }
    }

    func testRetriesEndWithTheRefusalWhenTheTimeIsUp() async throws {
        let (error, calls) = try await refusedForGood(reason: "nonce_gap", extra: #","expected":"3","got":"7""#, retrySeconds: 0.5)
        XCTAssertEqual(error, .rejected(reason: "nonce_gap", message: "transaction rejected: nonce_gap"),
                       "a node that never takes it must end in the refusal")
        XCTAssertEqual(error?.exitCode, WalletExitCode.rejected)
        XCTAssertGreaterThan(calls, 1, "resent before giving up")
        XCTAssertLessThan(calls, 10, "with a growing delay, not in a tight loop")
    }

    func testFinalRefusalsAreNotResent() async throws {
        let (error, calls) = try await refusedForGood(reason: "insufficient_funds", extra: #","balance":"1","needed":"5""#,
                                                      retrySeconds: 10)
        XCTAssertEqual(error, .insufficientFunds(address: "s", balance: 1, amount: 5))
        XCTAssertEqual(calls, 1)
    }

    func testRefusalsOfWhatCannotSucceedAreFinalAndTheSenderCapIsNot() {
        func delay(_ reason: String) -> UInt64? {
            RejectionMapping.retryDelayMs(for: RPCServerError(code: -32010, message: "m", data: .object([("reason", .string(reason))])), backoffMs: 100)
        }
        for reason in ["zero_amount", "unknown_sender", "nonce_taken", "insufficient_funds"] { XCTAssertNil(delay(reason), reason) }
        XCTAssertEqual(delay("sender_limit"), 100)
        let unknown = RejectionMapping.walletError(
            for: RPCServerError(code: -32010, message: "m", data: .object([("reason", .string("unknown_sender"))])), sender: "ldg1s", amount: 7)
        XCTAssertEqual(unknown, .insufficientFunds(address: "ldg1s", balance: 0, amount: 7))
        let taken = RejectionMapping.walletError(
            for: RPCServerError(code: -32010, message: "m", data: .object([("reason", .string("nonce_taken")), ("got", .string("4")),
                                                                          ("pending_tx", .string("ab"))])), sender: "ldg1s", amount: 7)
        XCTAssertEqual(taken, .nonceRace(address: "ldg1s", detail: "nonce 4 is taken by waiting transaction ab"))
    }

    func testTheNodesSuggestedDelayIsCappedAndNeverBelowTheBackoff() {
        func delay(_ after: String?, backoff: UInt64) -> UInt64? {
            var fields: [(String, JSONValue)] = [("reason", .string("busy"))]
            if let after { fields.append(("retry_after_ms", .string(after))) }
            return RejectionMapping.retryDelayMs(for: RPCServerError(code: -32010, message: "m", data: .object(fields)), backoffMs: backoff)
        }
        XCTAssertEqual(delay("250", backoff: 100), 250)
        XCTAssertEqual(delay("20", backoff: 400), 400)
        XCTAssertEqual(delay("99999999", backoff: 100), 5_000, "a node cannot park the wallet for long")
        XCTAssertEqual(delay(nil, backoff: 100), 100)
        XCTAssertNil(RejectionMapping.retryDelayMs(for: RPCServerError(code: -32010, message: "m", data: .object([("reason", .string("duplicate"))])),
                                                   backoffMs: 100))
    }
}

/// A thread-safe call counter for scripted servers.
private final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n - 1 }
}
