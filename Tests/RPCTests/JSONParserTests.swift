// Checks the request JSON parser: RFC 8259 grammar, exact numbers, UTF-8 and surrogate handling, the depth bound, and that random bytes never trap.
import RPC
import XCTest

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) -> JSONValue? { JSONValue.parse(Array(text.utf8)) }

    private func reason(_ bytes: [UInt8]) -> JSONParseError? {
        do { _ = try JSONValue.parseOrExplain(bytes); return nil } catch { return error }
    }

    func testValuesRoundTrip() {
        let text = #"{"a":[1,-2,true,false,null,"x\"y\\z\n"],"b":{"c":"d"},"e":12345678901234567890,"f":1.5e-3}"#
        let value = parse(text)
        XCTAssertEqual(value?["a"], .array([.int(1), .int(-2), .bool(true), .bool(false), .null, .string("x\"y\\z\n")]))
        XCTAssertEqual(value?["e"], .number("12345678901234567890"), "big integers keep their exact text")
        XCTAssertEqual(value?["f"], .number("1.5e-3"))
        XCTAssertEqual(value?.serialized(), text)
    }

    func testGrammarViolationsAreRefused() {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"abc", "{\"a\" 1}", "[1 2]", "1 2", "{1:2}",
                    "\"\\x\"", "\"\u{01}\"", "+1", ".5", "1e", "NaN"] {
            XCTAssertNil(parse(bad), "accepted \(bad.debugDescription)")
        }
    }

    func testUnicodeEscapesAndSurrogates() {
        XCTAssertEqual(parse(#""\u00e9\ud83d\ude00""#), .string("é😀"))
        XCTAssertNil(parse(#""\ud83d""#), "an unpaired high surrogate is refused")
        XCTAssertNil(parse(#""\ude00""#), "a lone low surrogate is refused")
    }

    func testInvalidUTF8IsReportedAsSuch() {
        let inString: [UInt8] = Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        guard case .invalidUTF8? = reason(inString) else { return XCTFail("got \(String(describing: reason(inString)))") }
        let bare: [UInt8] = [0xFF, 0xFE]
        guard case .invalidUTF8? = reason(bare) else { return XCTFail("got \(String(describing: reason(bare)))") }
    }

    func testDepthIsBounded() {
        let ok = String(repeating: "[", count: RPCLimits.maxJSONDepth) + String(repeating: "]", count: RPCLimits.maxJSONDepth)
        XCTAssertNotNil(parse(ok))
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertEqual(reason(Array(deep.utf8)), .tooDeep(limit: RPCLimits.maxJSONDepth))
        let deepObjects = String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)
        XCTAssertEqual(reason(Array(deepObjects.utf8)), .tooDeep(limit: RPCLimits.maxJSONDepth))
    }

    func testRandomBytesNeverTrap() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("{}[]\",:0123456789-+.eEtrufalsn \\u".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        for _ in 0..<5_000 {
            let count = Int.random(in: 0..<40, using: &rng)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &rng)! }
            if let v = JSONValue.parse(bytes) {
                // Whatever parses must serialise to JSON that parses to the same value.
                XCTAssertEqual(JSONValue.parse(v.serializedBytes()), v)
            }
        }
    }
}
