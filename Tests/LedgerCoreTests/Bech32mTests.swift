// Checks the bech32m codec against the BIP-350 test vectors (valid and invalid strings) and round trips.
import LedgerCore
import XCTest

final class Bech32mTests: XCTestCase {
    static let valid = [
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    ]

    /// BIP-350 invalid strings with the reason the BIP gives, mapped to our error.
    static let invalid: [(String, Bech32m.Error)] = [
        ("\u{20}1xj0phk", .invalidCharacter(position: 0)),  // HRP character out of range
        ("\u{7f}1g6xzxy", .invalidCharacter(position: 0)),  // HRP character out of range
        ("\u{80}1vctc34", .invalidCharacter(position: 0)),  // HRP character out of range
        ("an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4", .tooLong(length: 91)),
        ("qyrz8wqd2c9m", .missingSeparator),
        ("1qyrz8wqd2c9m", .emptyPrefix),
        ("y1b0jsk6g", .invalidCharacter(position: 2)),  // invalid data character 'b'
        ("lt1igcx5c0", .invalidCharacter(position: 3)),  // invalid data character 'i'
        ("in1muywd", .dataTooShort),  // too short checksum
        ("mm1crxm3i", .invalidCharacter(position: 8)),  // invalid character in checksum
        ("au1s5cgom", .invalidCharacter(position: 7)),  // invalid character in checksum
        ("M1VUXWEZ", .invalidChecksum),  // checksum calculated with uppercase form of HRP
        ("16plkw9", .emptyPrefix),
        ("1p2gdwpf", .emptyPrefix),
    ]

    func testBIP350ValidStringsDecodeAndReencodeToTheLowercaseForm() throws {
        for s in Self.valid {
            let decoded = try Bech32m.decode(s)
            XCTAssertEqual(Bech32m.encode(prefix: decoded.prefix, values: decoded.values), s.lowercased(), s)
        }
    }

    func testBIP350ValidStringsWithOneCharacterChangedAreRejected() {
        for s in Self.valid {
            var chars = Array(s.lowercased().utf8)
            let sep = chars.lastIndex(of: UInt8(ascii: "1"))!
            chars[sep + 1] = chars[sep + 1] == UInt8(ascii: "q") ? UInt8(ascii: "p") : UInt8(ascii: "q")
            XCTAssertThrowsError(try Bech32m.decode(String(decoding: chars, as: UTF8.self)), s)
        }
    }

    func testBIP350InvalidStringsAreRejectedForTheRightReason() {
        for (s, expected) in Self.invalid {
            assertThrows(expected) { () throws(Bech32m.Error) in try Bech32m.decode(s) }
        }
    }

    func testPlainBech32StringsAreRejected() {
        // BIP-173 (bech32, not bech32m) valid strings must fail the bech32m checksum.
        for s in ["A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "?1ezyfcl"] {
            assertThrows(Bech32m.Error.invalidChecksum) { () throws(Bech32m.Error) in try Bech32m.decode(s) }
        }
    }

    func testMixedCaseIsRejected() {
        assertThrows(Bech32m.Error.mixedCase) { () throws(Bech32m.Error) in try Bech32m.decode("A1lqfn3a") }
    }

    func testByteRegroupingRoundTripsAndRejectsBadPadding() throws {
        var rng = SeededGenerator(seed: 7)
        for length in 0..<70 {
            let bytes = rng.bytes(length)
            XCTAssertEqual(try Bech32m.bytes(fromFiveBitValues: Bech32m.fiveBitValues(fromBytes: bytes)), bytes)
        }
        // 2 values = 10 bits = one byte + 2 leftover bits, which must be zero.
        assertThrows(Bech32m.Error.invalidPadding) { () throws(Bech32m.Error) in try Bech32m.bytes(fromFiveBitValues: [0, 1]) }
        // 5 leftover bits (one extra value) is too many.
        assertThrows(Bech32m.Error.invalidPadding) { () throws(Bech32m.Error) in try Bech32m.bytes(fromFiveBitValues: [0]) }
    }
}
