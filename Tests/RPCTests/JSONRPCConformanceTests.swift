// Checks JSON-RPC 2.0 conformance of the handler against a fake node, following the specification's section 7 examples (batches, notifications, error objects).
import LedgerCore
import LedgerJSON
import RPC
import XCTest

final class JSONRPCConformanceTests: XCTestCase {
    private let handler = JSONRPCHandler(backend: FakeBackend())

    private func respond(_ body: String) async -> JSONValue? {
        guard let out = await handler.respond(to: Array(body.utf8)) else { return nil }
        return try? JSONValue.parse(out)
    }

    private func code(_ response: JSONValue?) -> Int? { response?["error"]?["code"]?.intValue }

    private func reason(_ response: JSONValue?) -> String? { response?["error"]?["data"]?["reason"]?.stringValue }

    func testCallWithPositionalAndNamedParams() async throws {
        let address = Address(publicKey: Fixture.faucet.publicKey).string
        let positional = await respond(#"{"jsonrpc":"2.0","method":"account","params":["\#(address)"],"id":1}"#)
        let named = await respond(#"{"jsonrpc":"2.0","method":"account","params":{"address":"\#(address)"},"id":2}"#)
        XCTAssertEqual(positional?["id"], .int(1))
        XCTAssertEqual(named?["id"], .int(2))
        XCTAssertEqual(positional?["result"]?["balance"]?.stringValue, "1000000000000000")
        XCTAssertEqual(named?["result"]?["balance"]?.stringValue, "1000000000000000")
        XCTAssertEqual(positional?["jsonrpc"]?.stringValue, "2.0")
    }

    func testNotificationGetsNoResponse() async {
        let none = await respond(#"{"jsonrpc":"2.0","method":"status","params":[]}"#)
        XCTAssertNil(none)
        let failingNotification = await respond(#"{"jsonrpc":"2.0","method":"foobar"}"#)
        XCTAssertNil(failingNotification, "even an unknown method gets no response when it is a notification")
    }

    func testNonExistentMethod() async {
        let r = await respond(#"{"jsonrpc":"2.0","method":"foobar","id":"1"}"#)
        XCTAssertEqual(code(r), -32601)
        XCTAssertEqual(r?["id"]?.stringValue, "1")
    }

    func testInvalidJSON() async {
        let r = await respond(#"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#)
        XCTAssertEqual(code(r), -32700)
        XCTAssertEqual(r?["id"], .null, "id is null when it could not be read")
    }

    func testInvalidRequestObject() async {
        let r = await respond(#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#)
        XCTAssertEqual(code(r), -32600)
        let wrongVersion = await respond(#"{"jsonrpc":"1.0","method":"status","id":1}"#)
        XCTAssertEqual(code(wrongVersion), -32600)
        let scalarParams = await respond(#"{"jsonrpc":"2.0","method":"status","params":"bar","id":1}"#)
        XCTAssertEqual(code(scalarParams), -32600)
        let objectID = await respond(#"{"jsonrpc":"2.0","method":"status","id":{}}"#)
        XCTAssertEqual(code(objectID), -32600)
    }

    func testBatchWithInvalidJSON() async {
        let r = await respond(#"[{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method""#)
        XCTAssertEqual(code(r), -32700, "a batch that is not JSON gets one error object")
    }

    func testEmptyArray() async {
        let r = await respond("[]")
        XCTAssertEqual(code(r), -32600)
    }

    func testInvalidBatchEntries() async throws {
        let oneResponse = await respond("[1]")
        let one = try XCTUnwrap(oneResponse?.arrayValue)
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual(code(one[0]), -32600)
        let threeResponse = await respond("[1,2,3]")
        let three = try XCTUnwrap(threeResponse?.arrayValue)
        XCTAssertEqual(three.map(code), [-32600, -32600, -32600])
    }

    func testMixedBatch() async throws {
        let body = """
        [{"jsonrpc":"2.0","method":"health","id":"1"},
         {"jsonrpc":"2.0","method":"status"},
         {"jsonrpc":"2.0","method":"block","params":{"height":"999"},"id":"2"},
         {"foo":"boo"},
         {"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},
         {"jsonrpc":"2.0","method":"num_unconfirmed_txs","id":"9"}]
        """
        let response = await respond(body)
        let out = try XCTUnwrap(response?.arrayValue)
        XCTAssertEqual(out.count, 5, "the notification gets no response")
        let byID = Dictionary(out.compactMap { r in r["id"]?.stringValue.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        XCTAssertNotNil(byID["1"]?["result"])
        XCTAssertEqual(code(byID["2"]), -32004)
        XCTAssertEqual(code(byID["5"]), -32601)
        XCTAssertNotNil(byID["9"]?["result"])
        XCTAssertEqual(out.filter { $0["id"] == .null }.map(code), [-32600])
    }

    func testBatchOfOnlyNotificationsGetsNothing() async {
        let none = await respond(#"[{"jsonrpc":"2.0","method":"health","params":[]},{"jsonrpc":"2.0","method":"status"}]"#)
        XCTAssertNil(none)
    }

    func testOversizedBatchIsOneLimitError() async throws {
        let body = "[" + Array(repeating: "{}", count: 10_000).joined(separator: ",") + "]"
        let response = await respond(body)
        XCTAssertEqual(code(response), -32029)
        let data = try XCTUnwrap(response?["error"]?["data"])
        XCTAssertEqual(data["reason"]?.stringValue, "batch_too_large")
        XCTAssertEqual(data["limit"]?.intValue, RPCLimits.maxBatchCalls)
        XCTAssertEqual(data["got"]?.intValue, 10_000)
    }

    func testHostileBodiesGetParseErrors() async throws {
        let invalidUTF8 = await handler.respond(to: Array(#"{"jsonrpc":"2.0","method":""#.utf8) + [0xFF, 0xC0] + Array(#"","id":1}"#.utf8))
        let invalidBytes = try XCTUnwrap(invalidUTF8)
        let parsed = try JSONValue.parse(invalidBytes)
        XCTAssertEqual(code(parsed), -32700)
        XCTAssertEqual(reason(parsed), "invalid_utf8")
        let deep = await respond(String(repeating: "[", count: 1_000_000))
        XCTAssertEqual(code(deep), -32700)
        XCTAssertEqual(reason(deep), "too_deep")
    }

    func testDuplicateKeysAreAParseError() async throws {
        let response = await respond(#"{"jsonrpc":"2.0","id":1,"method":"status","method":"health"}"#)
        XCTAssertEqual(code(response), -32700)
        XCTAssertEqual(reason(response), "duplicate_key")
    }

    func testNumericIDsAreEchoedExactly() async throws {
        for id in ["18446744073709551615", "9007199254740993", "-9223372036854775808", "123456789012345678901234", "-0", "1E2", "1.50"] {
            let answer = await handler.respond(to: Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"health"}"#.utf8))
            let out = try XCTUnwrap(answer)
            let text = String(decoding: out, as: UTF8.self)
            XCTAssertTrue(text.contains(#""id":\#(id),"#), "id \(id) came back as \(text)")
            XCTAssertEqual(try JSONValue.parse(out)["id"]?.serialized(), id)
        }
    }
}
