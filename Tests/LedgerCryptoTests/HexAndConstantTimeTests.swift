// Checks Hex round-trips and strict rejection, ConstantTime.equals, and the fixed-size wrappers' length checks.
import XCTest
import LedgerCrypto

final class HexAndConstantTimeTests: XCTestCase {
    func testHexRoundTrip() {
        let all = (0...255).map { UInt8($0) }
        let text = Hex.encode(all)
        XCTAssertEqual(text.count, 512)
        XCTAssertTrue(text.hasPrefix("000102"))
        XCTAssertTrue(text.hasSuffix("fdfeff"))
        XCTAssertEqual(Hex.decode(text), all)
        XCTAssertEqual(Hex.decode(text.uppercased()), all)
        XCTAssertEqual(Hex.decode(""), [])
    }

    func testHexRejectsOddLengthAndNonHex() {
        XCTAssertNil(Hex.decode("0"))
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("0g"))
        XCTAssertNil(Hex.decode("zz"))
        XCTAssertNil(Hex.decode("0x00"))
        XCTAssertNil(Hex.decode("00 "))
        XCTAssertNil(Hex.decode("é0"))
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(ConstantTime.equals([], []))
        XCTAssertTrue(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(ConstantTime.equals([0, 2, 3], [1, 2, 3]))
        XCTAssertFalse(ConstantTime.equals([1, 2], [1, 2, 3]))
        XCTAssertFalse(ConstantTime.equals([], [0]))
    }

    func testDigestParsingAndLength() throws {
        let d = Hash.blake2b256(Array("x".utf8))
        XCTAssertEqual(try Digest(hex: d.hex), d)
        XCTAssertEqual(try Digest(bytes: d.bytes), d)
        XCTAssertThrowsError(try Digest(bytes: [UInt8](repeating: 0, count: 31))) { error in
            XCTAssertEqual(error as? CryptoError, .invalidLength(what: "digest", expected: 32, actual: 31))
        }
        XCTAssertThrowsError(try Digest(hex: "xy")) { error in
            XCTAssertEqual(error as? CryptoError, .invalidHex)
        }
        XCTAssertEqual(Digest.zero.bytes, [UInt8](repeating: 0, count: 32))
    }

    func testDigestOrderingIsByteLexicographic() throws {
        var a = [UInt8](repeating: 0, count: 32)
        var b = a
        a[0] = 1
        b[31] = 0xff
        XCTAssertTrue(try Digest(bytes: b) < Digest(bytes: a))
        XCTAssertFalse(try Digest(bytes: a) < Digest(bytes: a))
    }

    func testSignatureLength() throws {
        XCTAssertThrowsError(try Signature(bytes: [UInt8](repeating: 0, count: 63))) { error in
            XCTAssertEqual(error as? CryptoError, .invalidLength(what: "signature", expected: 64, actual: 63))
        }
        let bytes = (0..<64).map { UInt8($0) }
        XCTAssertEqual(try Signature(bytes: bytes).bytes, bytes)
        XCTAssertEqual(try Signature(hex: Hex.encode(bytes)).bytes, bytes)
    }

    func testSecureRandomGivesRequestedCountAndVaries() {
        XCTAssertEqual(SecureRandom.bytes(count: 0).count, 0)
        XCTAssertEqual(SecureRandom.bytes(count: 48).count, 48)
        XCTAssertNotEqual(SecureRandom.bytes(count: 32), SecureRandom.bytes(count: 32))
    }
}
