// Checks that /metrics output is valid Prometheus text exposition and that the counters move with requests and blocks.
import Foundation
@testable import RPC
import XCTest

/// A small checker of the Prometheus text format (version 0.0.4): comment lines, `name{labels} value` samples,
/// metric names and label syntax, numeric values, and TYPE lines naming known types. Returns the problems found.
enum PrometheusText {
    static func problems(_ text: String) -> [String] {
        var problems: [String] = []
        let namePattern = try! NSRegularExpression(pattern: #"^[a-zA-Z_:][a-zA-Z0-9_:]*$"#)
        func isName(_ s: Substring) -> Bool {
            namePattern.firstMatch(in: String(s), range: NSRange(location: 0, length: s.utf16.count)) != nil
        }
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3)
                if parts.count >= 2, parts[1] == "TYPE" {
                    guard parts.count == 4, isName(parts[2]),
                          ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        problems.append("line \(n + 1): bad TYPE line: \(line)"); continue
                    }
                }
                continue
            }
            var rest = Substring(line)
            let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
            guard isName(rest[..<nameEnd]) else { problems.append("line \(n + 1): bad metric name: \(line)"); continue }
            rest = rest[nameEnd...]
            if rest.hasPrefix("{") {
                guard let close = rest.firstIndex(of: "}") else { problems.append("line \(n + 1): unclosed labels"); continue }
                let labels = rest[rest.index(after: rest.startIndex)..<close]
                if !labels.isEmpty {
                    for pair in labels.split(separator: ",") {
                        let kv = pair.split(separator: "=", maxSplits: 1)
                        guard kv.count == 2, isName(kv[0]), kv[1].hasPrefix("\""), kv[1].hasSuffix("\""), kv[1].count >= 2 else {
                            problems.append("line \(n + 1): bad label \(pair)"); continue
                        }
                    }
                }
                rest = rest[rest.index(after: close)...]
            }
            let fields = rest.split(separator: " ")
            guard (1...2).contains(fields.count), Double(fields[0]) != nil || ["+Inf", "-Inf", "NaN"].contains(String(fields[0])) else {
                problems.append("line \(n + 1): bad sample value: \(line)"); continue
            }
        }
        return problems
    }

    /// The value of the sample `name{labels}` exactly as written (labels in rendering order), if present.
    static func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }
}

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
        XCTAssertEqual(PrometheusText.problems(text), [], text)
        XCTAssertEqual(PrometheusText.value(text, #"ledger_rpc_requests_total{method="status",code="0"}"#), 2, text)
        XCTAssertEqual(PrometheusText.value(text, #"ledger_rpc_requests_total{method="unknown",code="-32601"}"#), 1, text)
        XCTAssertEqual(PrometheusText.value(text, "ledger_height"), 5)
        XCTAssertEqual(PrometheusText.value(text, "ledger_committed_transactions_total"), 3)
        XCTAssertEqual(PrometheusText.value(text, "ledger_view_changes_total"), 1)
        XCTAssertEqual(PrometheusText.value(text, "ledger_commit_latency_seconds_count"), 1)
        XCTAssertEqual(PrometheusText.value(text, "ledger_state_transfer_target"), 9)
        XCTAssertTrue(PrometheusText.problems("bad name 1\n").count == 1, "the checker itself rejects garbage")
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
