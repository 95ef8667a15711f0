// Checks ledger addresses: round trip, the `ldg1` form, and refusal of typos, wrong prefix, case mixing, bad length and bad keys.
import LedgerCore
import LedgerCrypto
import XCTest

final class AddressTests: XCTestCase {
    func testRoundTripAndShape() throws {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<50 {
            let key = Fixtures.key(using: &rng).publicKey
            let address = Address(publicKey: key)
            let text = address.string
            XCTAssertTrue(text.hasPrefix("ldg1"))
            XCTAssertEqual(text.count, Limits.addressStringLength)
            XCTAssertEqual(text, text.lowercased())
            XCTAssertEqual(address.description, text)
            XCTAssertEqual(try Address(string: text), address)
            XCTAssertEqual(try Address(string: text.uppercased()), address)
            XCTAssertEqual(try Address(string: text).publicKey, key)
        }
    }

    func testEverySingleCharacterTypoIsRejected() {
        let text = Array(Fixtures.address(Fixtures.key(3)).string.utf8)
        let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
        for position in 4..<text.count {
            for c in alphabet where c != text[position] {
                var typo = text
                typo[position] = c
                XCTAssertThrowsError(try Address(string: String(decoding: typo, as: UTF8.self)), "position \(position)")
            }
        }
    }

    func testSwappedAdjacentCharactersAreRejected() {
        let text = Array(Fixtures.address(Fixtures.key(4)).string.utf8)
        for position in 4..<(text.count - 1) where text[position] != text[position + 1] {
            var typo = text
            typo.swapAt(position, position + 1)
            XCTAssertThrowsError(try Address(string: String(decoding: typo, as: UTF8.self)))
        }
    }

    func testWrongPrefixIsRejected() {
        let values = Fixtures.key(5).publicKey.withUnsafeBytes { Bech32m.fiveBitValues(fromBytes: $0) }
        let other = Bech32m.encode(prefix: "ldh", values: values)
        assertThrows(AddressError.wrongPrefix(expected: "ldg", found: "ldh")) { () throws(AddressError) in
            try Address(string: other)
        }
    }

    func testMixedCaseIsRejected() {
        let text = Fixtures.address(Fixtures.key(6)).string
        let mixed = "LDG" + text.dropFirst(3)
        assertThrows(AddressError.mixedCase) { () throws(AddressError) in try Address(string: mixed) }
    }

    func testWrongLengthIsRejected() {
        let text = Fixtures.address(Fixtures.key(7)).string
        assertThrows(AddressError.wrongLength(expected: 62, actual: 61)) { () throws(AddressError) in
            try Address(string: String(text.dropLast()))
        }
        assertThrows(AddressError.wrongLength(expected: 62, actual: 0)) { () throws(AddressError) in try Address(string: "") }
        // 33 bytes under the right prefix is a valid bech32m string but one character too long.
        let long = Bech32m.encode(prefix: "ldg", values: Bech32m.fiveBitValues(fromBytes: [UInt8](repeating: 1, count: 33)))
        assertThrows(AddressError.wrongLength(expected: 62, actual: 63)) { () throws(AddressError) in try Address(string: long) }
    }

    func testNonZeroPaddingBitsAreRejected() {
        // 52 five-bit values carry 32 bytes plus 4 padding bits, which must be zero.
        var values = Fixtures.key(10).publicKey.withUnsafeBytes { Bech32m.fiveBitValues(fromBytes: $0) }
        values[values.count - 1] |= 1
        let text = Bech32m.encode(prefix: "ldg", values: values)
        assertThrows(AddressError.invalidPayload) { () throws(AddressError) in try Address(string: text) }
    }

    func testBadChecksumIsRejected() {
        var text = Array(Fixtures.address(Fixtures.key(8)).string.utf8)
        text[text.count - 1] = text[text.count - 1] == UInt8(ascii: "q") ? UInt8(ascii: "p") : UInt8(ascii: "q")
        assertThrows(AddressError.invalidChecksum) { () throws(AddressError) in
            try Address(string: String(decoding: text, as: UTF8.self))
        }
    }

    func testInvalidPublicKeyIsRejected() {
        for bytes in [Fixtures.invalidKeyBytes, Fixtures.lowOrderKeyBytes] {
            let text = Bech32m.encode(prefix: "ldg", values: Bech32m.fiveBitValues(fromBytes: bytes))
            XCTAssertEqual(text.count, 62)
            assertThrows(AddressError.invalidPublicKey) { () throws(AddressError) in try Address(string: text) }
        }
    }

    func testInvalidCharacterIsRejected() {
        var text = Array(Fixtures.address(Fixtures.key(9)).string.utf8)
        text[10] = UInt8(ascii: "b")  // 'b' is not in the bech32 alphabet
        assertThrows(AddressError.invalidCharacter(position: 10)) { () throws(AddressError) in
            try Address(string: String(decoding: text, as: UTF8.self))
        }
    }

    func testOrderingFollowsPublicKeys() {
        let a = Fixtures.address(Fixtures.key(1))
        let b = Fixtures.address(Fixtures.key(2))
        XCTAssertEqual(a < b, a.publicKey < b.publicKey)
        XCTAssertNotEqual(a, b)
    }
}
