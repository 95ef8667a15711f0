// Checks that /metrics output is valid Prometheus text exposition and that the counters move with requests and blocks.
import Foundation
@testable import RPC
import TestSupport
import XCTest

final class RPCMetricsTests: XCTestCase {
    func testRenderedTextParsesAndCounts() async throws {
        let metrics = RPCMetrics()
        let handler = JSONRPCHandler(backend: FakeBackend(), metrics: metrics)
        _ = await handler.respond(to: Array(#"{"jsonrpc":"2.0","id":1,"method":"status"}"#.utf8))
        _ = await handler.respond(to: Array(#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#.utf8))
        _ = await handler.respond(to: Array(#"{"jsonrpc":"2.0","id":1,"method":"status"}"#.utf8))
        metrics.blockCommitted(height: 5, transactions: 3)
        metrics.viewChanged(to: 2)
        metrics.observeCommitLatency(nanoseconds: 120_000_000)
        metrics.stateTransfer(height: 4, target: 9)
        let text = String(decoding: metrics.render(), as: UTF8.self)
        XCTAssertEqual(PrometheusTextCheck.problems(text), [], text)
        XCTAssertEqual(PrometheusTextCheck.value(text, #"ledger_rpc_requests_total{method="status",code="0"}"#), 2, text)
        XCTAssertEqual(PrometheusTextCheck.value(text, #"ledger_rpc_requests_total{method="unknown",code="-32601"}"#), 1, text)
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_height"), 5)
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_committed_transactions_total"), 3)
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_view_changes_total"), 1)
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_commit_latency_seconds_count"), 1)
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_state_transfer_target"), 9)
        XCTAssertTrue(PrometheusTextCheck.problems("bad name 1\n").count == 1, "the checker itself rejects garbage")
    }

    func testLimitsAreConsistent() {
        XCTAssertLessThan(RPCLimits.maxWebSocketConnections, RPCLimits.maxConnections)
        XCTAssertLessThanOrEqual(RPCLimits.maxSubscriptionsPerConnection, RPCLimits.maxBatchCalls)
        XCTAssertLessThanOrEqual(RPCLimits.defaultCommitTimeoutMs, RPCLimits.maxCommitTimeoutMs)
        XCTAssertLessThanOrEqual(RPCLimits.defaultUnconfirmedTxs, RPCLimits.maxUnconfirmedTxs)
        XCTAssertGreaterThanOrEqual(RPCLimits.maxRequestBodyBytes, RPCLimits.maxBatchCalls * 4 * 1024,
                                    "a full batch of transactions fits in a body")
        XCTAssertGreaterThan(RPCLimits.webSocketSendQueueMessages, RPCLimits.maxSubscriptionsPerConnection)
    }
}
