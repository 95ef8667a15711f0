// Checks that PublicKey refuses wrong lengths, small-order, mixed-order and non-canonical points and accepts real keys.
import XCTest
@testable import LedgerCrypto

final class PublicKeyValidationTests: XCTestCase {
    /// The eight points of order 1, 2, 4 and 8 in their canonical encodings (libsodium's blocklist,
    /// ed25519_ref10.c `ge25519_has_small_order`), plus the negative-zero-x encodings of y = 1 and y = -1.
    static let smallOrder: [(String, String)] = [
        ("identity (order 1)", "0100000000000000000000000000000000000000000000000000000000000000"),
        ("order 2 (y = -1)", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ("order 4 (y = 0, x even)", "0000000000000000000000000000000000000000000000000000000000000000"),
        ("order 4 (y = 0, x odd)", "0000000000000000000000000000000000000000000000000000000000000080"),
        ("order 8 a", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        ("order 8 a, other x", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
        ("order 8 b", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
        ("order 8 b, other x", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
        ("identity with x sign set", "0100000000000000000000000000000000000000000000000000000000000080"),
        ("order 2 with x sign set", "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
    ]

    func testWrongLengthIsRejectedWithTheLength() {
        for count in [0, 1, 31, 33, 64] {
            XCTAssertThrowsError(try PublicKey(bytes: [UInt8](repeating: 9, count: count))) { error in
                XCTAssertEqual(error as? CryptoError, .invalidLength(what: "public key", expected: 32, actual: count))
            }
        }
    }

    func testSmallOrderPointsAreRejected() {
        for (name, hex) in Self.smallOrder {
            XCTAssertThrowsError(try PublicKey(hex: hex), name) { error in
                XCTAssertEqual(error as? CryptoError, .invalidPublicKey, name)
            }
        }
    }

    /// The base point B is valid; B + (an order-8 point) is on the curve but not in the prime-order
    /// subgroup and must be refused. (B + T8 was computed offline with the RFC 8032 §6 formulas.)
    func testMixedOrderPointIsRejectedButBasePointAccepted() throws {
        let base = "5866666666666666666666666666666666666666666666666666666666666666"
        XCTAssertNoThrow(try PublicKey(hex: base))
        let basePlusTorsion = "98519eadf35b995233b51b5cd23e9cc5a28b639b5a4af0ec903cb960d81b7819"
        XCTAssertThrowsError(try PublicKey(hex: basePlusTorsion))
    }

    /// Every encoding whose y field is in p ... 2^255 - 1 is non-canonical (y ≥ p), with either x sign.
    func testNonCanonicalEncodingsAreRejected() {
        for k in 0..<19 {
            for signBit: UInt8 in [0x00, 0x80] {
                // p + k, little-endian: p = 2^255 - 19 = ed ff … ff 7f.
                var bytes = [UInt8](repeating: 0xff, count: 32)
                bytes[0] = 0xed + UInt8(k)
                bytes[31] = 0x7f | signBit
                XCTAssertThrowsError(try PublicKey(bytes: bytes), "y = p + \(k), sign \(signBit)") { error in
                    XCTAssertEqual(error as? CryptoError, .invalidPublicKey)
                }
            }
        }
    }

    func testOffCurvePointIsRejected() {
        // y = 2 has no x on edwards25519 (x^2 = 3 / (4d + 1) is not a square mod p).
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = 2
        XCTAssertThrowsError(try PublicKey(bytes: bytes))
    }

    func testGeneratedAndVectorKeysAreAccepted() throws {
        for _ in 0..<20 {
            let key = SigningKey.generate().publicKey
            XCTAssertEqual(try PublicKey(bytes: key.bytes), key)
            XCTAssertEqual(try PublicKey(hex: key.hex), key)
        }
        for v in Ed25519VectorTests.vectors {
            XCTAssertNoThrow(try PublicKey(hex: v.publicKey), v.name)
        }
    }

    func testBadHexIsInvalidHex() {
        XCTAssertThrowsError(try PublicKey(hex: "zz" + String(repeating: "00", count: 31))) { error in
            XCTAssertEqual(error as? CryptoError, .invalidHex)
        }
    }

    func testOrderingIsLexicographicByByte() throws {
        let keys = (0..<10).map { _ in SigningKey.generate().publicKey }
        let sorted = keys.sorted()
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            XCTAssertTrue(a.bytes.lexicographicallyPrecedes(b.bytes))
        }
    }
}

/// The process-wide memo of validated keys changes costs, never answers: a refused key stays refused
/// however often it is offered; the memo itself is bounded and forgets the oldest generation.
final class ValidatedKeyMemoTests: XCTestCase {
    func testRefusedKeysAreRefusedEveryTimeAndValidKeysAcceptedEveryTime() throws {
        let keys = (0..<64).map { _ in SigningKey.generate().publicKey.bytes }
        for _ in 0..<3 {
            for (name, hex) in PublicKeyValidationTests.smallOrder {
                XCTAssertThrowsError(try PublicKey(hex: hex), "\(name) accepted on a repeat offer")
            }
            for raw in keys { XCTAssertEqual(try PublicKey(bytes: raw).bytes, raw) }
        }
    }

    func testMemoIsBoundedAndForgetsTheOldestGeneration() {
        let memo = ValidatedKeyMemo(capacity: 4)  // two generations of two
        let words = (0..<5).map { InlineBytes32(repeating: UInt8($0 + 1)) }
        memo.insert(words[0]); memo.insert(words[1])  // fills the first generation: it becomes the previous one
        XCTAssertTrue(memo.contains(words[0]) && memo.contains(words[1]))
        memo.insert(words[2]); memo.insert(words[3])  // the second fills: the first is forgotten
        XCTAssertFalse(memo.contains(words[0]))
        XCTAssertFalse(memo.contains(words[1]))
        XCTAssertTrue(memo.contains(words[2]) && memo.contains(words[3]))
        XCTAssertFalse(memo.contains(words[4]))
    }
}
