// Checks the JSON writer: exact escapes for quotes, backslashes and control bytes, non-ASCII text passed through as UTF-8, and serialize→parse round trips of random strings.
import RPC
import XCTest

final class JSONSerializationTests: XCTestCase {
    func testEscapesAreExact() {
        let value = JSONValue.object([("k\"ey", .string("a\"b\\c\nd\re\tf\u{01}g\u{1F}h"))])
        XCTAssertEqual(value.serialized(), #"{"k\"ey":"a\"b\\c\nd\re\tf\u0001g\u001fh"}"#)
    }

    func testNonASCIITextIsWrittenAsUTF8() {
        let text = "façade — 台帳 🚀"
        let bytes = JSONValue.string(text).serializedBytes()
        XCTAssertEqual(bytes, Array("\"\(text)\"".utf8))
    }

    func testRandomStringsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "\"", "\\", "\n", "\u{00}", "\u{1F}", "\u{7F}", "é", "台", "🚀", " ", "/"]
        for _ in 0..<500 {
            let count = Int.random(in: 0..<20, using: &generator)
            var s = String.UnicodeScalarView()
            for _ in 0..<count { s.append(alphabet.randomElement(using: &generator)!) }
            let text = String(s)
            let value = JSONValue.array([.string(text), .object([(text, .int(1))])])
            let parsed = try XCTUnwrap(JSONValue.parse(value.serializedBytes()), "did not parse: \(value.serialized())")
            XCTAssertEqual(parsed, value, "round trip of \(text.debugDescription)")
        }
    }
}
