// Checks the shared Prometheus text checker: well-formed exposition passes, each kind of malformed line is reported, and sample values are read by exact series.
import TestSupport
import XCTest

final class PrometheusTextCheckTests: XCTestCase {
    let good = """
        # HELP ledger_height The latest stored height.
        # TYPE ledger_height gauge
        ledger_height 42
        # TYPE ledger_rpc_requests_total counter
        ledger_rpc_requests_total{method="status",code="0"} 3
        ledger_commit_latency_seconds_bucket{le="+Inf"} 7 1700000000000
        ledger_ratio NaN
        """

    func testWellFormedTextHasNoProblems() {
        XCTAssertEqual(PrometheusTextCheck.problems(good), [])
    }

    func testEachKindOfMalformedLineIsReported() {
        XCTAssertEqual(PrometheusTextCheck.problems("# TYPE ledger_height thermometer"), ["line 1: bad TYPE line: # TYPE ledger_height thermometer"])
        XCTAssertEqual(PrometheusTextCheck.problems("9lives 1"), ["line 1: bad metric name: 9lives 1"])
        XCTAssertEqual(PrometheusTextCheck.problems("ledger_height{code=\"0\" 1"), ["line 1: unclosed labels"])
        XCTAssertEqual(PrometheusTextCheck.problems("ledger_height{code=0} 1"), ["line 1: bad label code=0"])
        XCTAssertEqual(PrometheusTextCheck.problems("ledger_height many"), ["line 1: bad sample value: ledger_height many"])
        XCTAssertEqual(PrometheusTextCheck.problems(good + "\nledger_height 1 2 3").count, 1, "one bad line among good ones")
    }

    func testValueReadsTheExactSeries() {
        XCTAssertEqual(PrometheusTextCheck.value(good, "ledger_height"), 42)
        XCTAssertEqual(PrometheusTextCheck.value(good, #"ledger_rpc_requests_total{method="status",code="0"}"#), 3)
        XCTAssertNil(PrometheusTextCheck.value(good, "ledger_rpc_requests_total"), "a labelled series is not the bare name")
        XCTAssertNil(PrometheusTextCheck.value(good, "ledger_view"))
    }
}
