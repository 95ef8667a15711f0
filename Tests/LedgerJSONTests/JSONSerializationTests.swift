// Checks the writer: exact escapes for quotes, backslashes and control bytes, non-ASCII text passed through as
// UTF-8, keys in the order given, the pretty form, and serialize→parse round trips of random strings (fixed seed).
import LedgerJSON
import XCTest

final class JSONSerializationTests: XCTestCase {
    func testEscapesAreExact() {
        let value = JSONValue.object([("k\"ey", .string("a\"b\\c\nd\re\tf\u{01}g\u{1F}h\u{7F}/"))])
        XCTAssertEqual(value.serialized(), #"{"k\"ey":"a\"b\\c\nd\re\tf\u0001g\u001fh"# + "\u{7F}" + #"/"}"#)
    }

    func testNonASCIITextIsWrittenAsUTF8() {
        let text = "façade — 台帳 🚀"
        XCTAssertEqual(JSONValue.string(text).serializedBytes(), Array("\"\(text)\"".utf8))
    }

    func testKeysKeepTheirOrderAndNumbersTheirText() {
        let value = JSONValue.object([("z", .int(-1)), ("a", .uint(UInt64.max)), ("m", .number("1.50")), ("q", .decimal(7))])
        XCTAssertEqual(value.serialized(), #"{"z":-1,"a":18446744073709551615,"m":1.50,"q":"7"}"#)
        XCTAssertEqual(value.description, value.serialized())
    }

    func testPrettyFormIndentsTwoSpaces() {
        let value = JSONValue.object([("a", .array([.int(1), .object([])])), ("b", .array([]))])
        XCTAssertEqual(value.serialized(pretty: true), "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}")
    }

    func testSettingReplacesOrAppends() {
        let value = JSONValue.object([("a", .int(1))])
        XCTAssertEqual(value.setting("a", .int(2)), .object([("a", .int(2))]))
        XCTAssertEqual(value.setting("b", .null), .object([("a", .int(1)), ("b", .null)]))
        XCTAssertEqual(JSONValue.int(1).setting("a", .null), .int(1))
    }

    func testRandomStringsRoundTrip() throws {
        var generator = SeededGenerator(state: 29)
        let alphabet: [Unicode.Scalar] = ["a", "\"", "\\", "\n", "\u{00}", "\u{1F}", "\u{7F}", "é", "台", "🚀", " ", "/"]
        for _ in 0..<500 {
            let count = Int.random(in: 0..<20, using: &generator)
            var s = String.UnicodeScalarView()
            for _ in 0..<count { s.append(alphabet.randomElement(using: &generator)!) }
            let text = String(s)
            let value = JSONValue.array([.string(text), .object([(text, .int(1))])])
            let parsed = try JSONValue.parse(value.serializedBytes())
            XCTAssertEqual(parsed, value, "round trip of \(text.debugDescription)")
        }
    }
}
