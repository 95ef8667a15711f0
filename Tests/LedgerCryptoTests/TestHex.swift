// Helpers shared by the crypto tests: hex literals that fail the test (not trap) when mistyped.
import XCTest
import LedgerCrypto

/// Decodes a hex literal written in a test, ignoring whitespace; fails the test if it is malformed.
func hexBytes(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
    let compact = String(text.filter { !$0.isWhitespace })
    guard let bytes = Hex.decode(compact) else {
        XCTFail("malformed hex literal in test", file: file, line: line)
        return []
    }
    return bytes
}
