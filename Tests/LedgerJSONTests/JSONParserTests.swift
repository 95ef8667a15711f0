// Checks the parser: RFC 8259 grammar, exact 64-bit integers, UTF-8 and surrogate handling, each bound of
// `JSONLimits`, refused duplicate keys, and that a fixed-seed stream of random bytes never traps.
import LedgerJSON
import XCTest

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String, _ limits: JSONLimits = JSONLimits()) -> JSONValue? {
        try? JSONValue.parse(Array(text.utf8), limits: limits)
    }

    private func error(_ bytes: [UInt8], _ limits: JSONLimits = JSONLimits()) -> JSONError? {
        do { _ = try JSONValue.parse(bytes, limits: limits); return nil } catch { return error }
    }

    private func error(_ text: String, _ limits: JSONLimits = JSONLimits()) -> JSONError? { error(Array(text.utf8), limits) }

    func testValuesRoundTrip() {
        let text = #"{"a":[1,-2,true,false,null,"x\"y\\z\n"],"b":{"c":"d"},"e":123456789012345678901,"f":1.5e-3}"#
        let value = parse(text)
        XCTAssertEqual(value?["a"], .array([.int(1), .int(-2), .bool(true), .bool(false), .null, .string("x\"y\\z\n")]))
        XCTAssertEqual(value?["b"]?["c"]?.stringValue, "d")
        XCTAssertEqual(value?["e"], .number("123456789012345678901"), "integers beyond 64 bits keep their exact text")
        XCTAssertEqual(value?["f"], .number("1.5e-3"))
        XCTAssertEqual(value?.serialized(), text)
        XCTAssertEqual(value.flatMap { parse($0.serialized(pretty: true)) }, value, "pretty text parses to the same value")
    }

    func testSixtyFourBitIntegersAreExact() throws {
        XCTAssertEqual(parse("18446744073709551615"), .uint(UInt64.max))
        XCTAssertEqual(parse("18446744073709551615")?.uint64Value, UInt64.max)
        XCTAssertEqual(parse("18446744073709551616"), .number("18446744073709551616"), "UInt64.max + 1 keeps its text")
        XCTAssertEqual(parse("-9223372036854775808"), .int(Int(Int64.min)))
        XCTAssertEqual(parse("-9223372036854775809"), .number("-9223372036854775809"), "Int64.min - 1 keeps its text")
        XCTAssertEqual(parse("9223372036854775807"), .int(Int(Int64.max)))
        XCTAssertEqual(parse("9223372036854775808"), .uint(UInt64(Int64.max) + 1))
        XCTAssertEqual(parse("9007199254740993"), .int(9_007_199_254_740_993), "2^53 + 1 is not rounded to 2^53")
        XCTAssertEqual(parse("9007199254740993")?.uint64Value, 9_007_199_254_740_993)
        XCTAssertEqual(parse("-0"), .number("-0"), "-0 keeps its text, so it is echoed as given")
        XCTAssertEqual(parse("0"), .int(0))
        XCTAssertEqual(parse("1E2"), .number("1E2"))
        for text in ["18446744073709551615", "-9223372036854775808", "9007199254740993", "-0", "1E2", "0.10"] {
            XCTAssertEqual(try XCTUnwrap(parse(text)).serialized(), text, "\(text) is written back exactly")
        }
        XCTAssertEqual(JSONValue.int(5), JSONValue.uint(5), "the same integer in either case is equal")
        XCTAssertNil(JSONValue.int(-1).uint64Value)
        XCTAssertEqual(JSONValue.string("18446744073709551615").uint64Value, UInt64.max, "quantities as decimal strings")
        XCTAssertNil(JSONValue.string("18446744073709551616").uint64Value)
        XCTAssertNil(JSONValue.string("+1").uint64Value)
        XCTAssertNil(JSONValue.string("").uint64Value)
        XCTAssertEqual(JSONValue.int(-7).intValue, -7)
        XCTAssertNil(JSONValue.uint(UInt64.max).intValue)
        XCTAssertEqual(parse("2.5")?.doubleValue, 2.5)
        XCTAssertEqual(MemoryLayout<Int>.size, 8, ".int holds every Int64 only where Int has 64 bits")
    }

    func testGrammarViolationsAreRefused() {
        for bad in ["", " ", "{", "[1,]", "{\"a\":1,}", "01", "-01", "1.", "-", "tru", "nul", "\"abc", "{\"a\" 1}", "[1 2]",
                    "1 2", "{1:2}", "{'a':1}", "\"\\x\"", "\"\u{01}\"", "+1", ".5", "1e", "1e+", "NaN", "Infinity", "[", "]",
                    "{\"a\"}", "\"\\u12\"", "\"\\u12G4\"", "\u{FEFF}1"] {
            XCTAssertNil(parse(bad), "accepted \(bad.debugDescription)")
        }
        guard case let .syntax(offset, _)? = error("[1,]") else { return XCTFail("not a syntax error") }
        XCTAssertEqual(offset, 3, "the offset names the byte where it went wrong")
        guard case let .syntax(trailing, _)? = error("1 2") else { return XCTFail("not a syntax error") }
        XCTAssertEqual(trailing, 2)
    }

    func testWhiteSpaceAroundValuesIsAccepted() {
        XCTAssertEqual(parse(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n"), .object([("a", .array([.int(1), .int(2)]))]))
    }

    func testUnicodeEscapesAndSurrogates() {
        XCTAssertEqual(parse(#""\u00e9\ud83d\ude00\/""#), .string("é😀/"))
        XCTAssertEqual(parse(#""\b\f\n\r\t""#), .string("\u{08}\u{0C}\n\r\t"))
        XCTAssertNil(parse(#""\ud83d""#), "an unpaired high surrogate is refused")
        XCTAssertNil(parse(#""\ud83dx""#), "a high surrogate followed by text is refused")
        XCTAssertNil(parse(#""\ud83d\u0041""#), "a high surrogate followed by a non-surrogate is refused")
        XCTAssertNil(parse(#""\ude00""#), "a lone low surrogate is refused")
        XCTAssertEqual(parse("\"台帳 🚀\""), .string("台帳 🚀"), "non-ASCII UTF-8 passes through")
    }

    func testInvalidUTF8IsReportedAsSuch() {
        let inString: [UInt8] = Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        guard case .invalidUTF8? = error(inString) else { return XCTFail("got \(String(describing: error(inString)))") }
        let escaped: [UInt8] = Array("\"\\n".utf8) + [0xFF] + Array("\"".utf8)
        guard case .invalidUTF8? = error(escaped) else { return XCTFail("got \(String(describing: error(escaped)))") }
        let bare: [UInt8] = [0xFF, 0xFE]
        XCTAssertEqual(error(bare), .invalidUTF8(offset: 0))
        XCTAssertEqual(error(bare)?.reason, "invalid_utf8")
    }

    func testSizeIsBounded() {
        let limits = JSONLimits(maxBytes: 10)
        XCTAssertNotNil(parse("[1,2,3,45]", limits), "exactly maxBytes is accepted")
        XCTAssertEqual(error("[1,2,3,456]", limits), .tooLarge(byteCount: 11, limit: 10))
        XCTAssertEqual(error("[1,2,3,456]", limits)?.offset, 10)
        XCTAssertEqual(JSONLimits().maxBytes, 1024 * 1024, "the default is the RPC's largest request body")
    }

    func testDepthIsBounded() {
        let depth = JSONLimits().maxDepth
        XCTAssertEqual(depth, 16, "the default is the RPC's nesting bound")
        let ok = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        XCTAssertNotNil(parse(ok))
        let oneMore = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        XCTAssertEqual(error(oneMore), .tooDeep(offset: depth, limit: depth))
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertEqual(error(deep), .tooDeep(offset: depth, limit: depth))
        let deepObjects = String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)
        XCTAssertEqual(error(deepObjects)?.reason, "too_deep")
        let deep200 = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertNotNil(parse(deep200, JSONLimits(maxDepth: 200)), "the bound is configurable")
        let ceiling = JSONLimits.depthCeiling
        XCTAssertEqual(error(deep, JSONLimits(maxDepth: 100_000)), .tooDeep(offset: ceiling, limit: ceiling),
                       "no setting lets the recursion past the ceiling")
    }

    func testEntriesAreBounded() {
        let limits = JSONLimits(maxEntries: 3)
        XCTAssertNotNil(parse("[1,2,3]", limits))
        XCTAssertEqual(error("[1,2,3,4]", limits), .tooManyEntries(offset: 7, limit: 3))
        XCTAssertNotNil(parse(#"{"a":1,"b":2,"c":3}"#, limits))
        XCTAssertEqual(error(#"{"a":1,"b":2,"c":3,"d":4}"#, limits)?.reason, "too_many_entries")
        XCTAssertNotNil(parse("[[1,2,3],[1,2,3],[1,2,3]]", limits), "the bound is per array or object")
    }

    func testDuplicateKeysAreRefused() {
        XCTAssertEqual(error(#"{"a":1,"a":2}"#), .duplicateKey(offset: 7, key: "a"))
        XCTAssertEqual(error(#"{"id":1,"method":"status","id":2}"#)?.reason, "duplicate_key")
        XCTAssertEqual(error(#"{"a\u0062":1,"ab":2}"#)?.reason, "duplicate_key", "keys compare after unescaping")
        XCTAssertNotNil(parse(#"{"a":{"a":1},"b":{"a":2}}"#), "the same key in different objects is fine")
        // Past the linear scan, a set finds the repeat.
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        XCTAssertNotNil(parse("{\(many)}"))
        XCTAssertEqual(error("{\(many),\"k3\":0}")?.reason, "duplicate_key")
        XCTAssertEqual(error("{\(many),\"k39\":0}")?.reason, "duplicate_key")
    }

    func testErrorDescriptionsNameTheProblem() {
        XCTAssertEqual(JSONError.syntax(offset: 4, detail: "expected ':'").description, "invalid JSON at byte 4: expected ':'")
        XCTAssertTrue(JSONError.duplicateKey(offset: 7, key: "id").description.contains("\"id\""))
        XCTAssertTrue(JSONError.tooDeep(offset: 16, limit: 16).description.contains("16 levels"))
    }

    func testRandomBytesNeverTrap() {
        let seed: UInt64 = 29
        var rng = SeededGenerator(state: seed)
        let alphabet = Array("{}[]\",:0123456789-+.eEtrufalsn \\u".utf8) + [0x00, 0x80, 0xC3, 0xFF, 0xED, 0xA0]
        let limits = JSONLimits(maxBytes: 48, maxDepth: 4, maxEntries: 4)
        var parsed = 0
        for round in 0..<20_000 {
            let count = Int.random(in: 0..<50, using: &rng)
            let bytes: [UInt8] = (0..<count).map { _ in
                Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            guard let value = try? JSONValue.parse(bytes, limits: limits) else { continue }
            parsed += 1
            // Whatever parses must serialise to JSON that parses to the same value.
            XCTAssertEqual(try? JSONValue.parse(value.serializedBytes()), value, "seed \(seed), round \(round): \(bytes)")
        }
        XCTAssertGreaterThan(parsed, 0, "the stream includes some valid documents")
    }
}
