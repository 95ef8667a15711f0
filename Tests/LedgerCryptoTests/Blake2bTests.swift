// Checks BLAKE2b against RFC 7693 Appendix A and the BLAKE2 reference keyed KAT, and that incremental hashing equals one-shot.
import XCTest
import LedgerCrypto

final class Blake2bTests: XCTestCase {
    func testRFC7693AppendixA() {
        let expected = """
            ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1
            7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923
            """
        XCTAssertEqual(Hash.blake2b(Array("abc".utf8), outputLength: 64), hexBytes(expected))
    }

    /// blake2b-kat.txt: key = 00 01 … 3f, input = 00 01 … (len - 1), 64-byte output.
    func testReferenceKeyedKAT() {
        let key = (0..<64).map { UInt8($0) }
        let cases: [(Int, String)] = [
            (0, "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568"),
            (1, "961f6dd1e4dd30f63901690c512e78e4b45e4742ed197c3c5e45c549fd25f2e4187b0bc9fe30492b16b0d0bc4ef9b0f34c7003fac09a5ef1532e69430234cebd"),
            (2, "da2cfbe2d8409a0f38026113884f84b50156371ae304c4430173d08a99d9fb1b983164a3770706d537f49e0c916d9f32b95cc37a95b99d857436f0232c88a965"),
            (127, "76d2d819c92bce55fa8e092ab1bf9b9eab237a25267986cacf2b8ee14d214d730dc9a5aa2d7b596e86a1fd8fa0804c77402d2fcd45083688b218b1cdfa0dcbcb"),
            (128, "72065ee4dd91c2d8509fa1fc28a37c7fc9fa7d5b3f8ad3d0d7a25626b57b1b44788d4caf806290425f9890a3a2a35a905ab4b37acfd0da6e4517b2525c9651e4"),
        ]
        for (length, expected) in cases {
            let input = (0..<length).map { UInt8($0) }
            XCTAssertEqual(
                Hex.encode(Hash.blake2b(input, outputLength: 64, key: key)), expected, "input length \(length)")
        }
    }

    func testBlake2b256OfEmptyString() {
        XCTAssertEqual(Hash.blake2b256([]).hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
    }

    func testBlake2b256AgreesWithGenericOutputLength() {
        for length in [0, 1, 64, 127, 128, 129, 1000] {
            let input = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            XCTAssertEqual(Hash.blake2b256(input).bytes, Hash.blake2b(input, outputLength: 32), "length \(length)")
        }
    }

    func testIncrementalEqualsOneShot() {
        let input = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let oneShot = Hash.blake2b256(input)
        for splits in [[0], [1], [127, 128, 129], [500], [3, 17, 64, 65, 999]] {
            var hasher = Hasher256()
            var start = 0
            for cut in splits {
                hasher.update(Array(input[start..<cut]))
                start = cut
            }
            hasher.update(Array(input[start...]))
            let incremental = hasher.finalize()
            XCTAssertEqual(incremental, oneShot, "splits \(splits)")
        }
    }

    func testIncrementalDigestUpdateFeedsItsBytes() {
        let d = Hash.blake2b256(Array("leaf".utf8))
        var a = Hasher256()
        a.update(d)
        var b = Hasher256()
        b.update(d.bytes)
        let fromDigest = a.finalize()
        let fromBytes = b.finalize()
        XCTAssertEqual(fromDigest, fromBytes)
    }

    func testDifferentInputsGiveDifferentDigests() {
        XCTAssertNotEqual(Hash.blake2b256([0]), Hash.blake2b256([1]))
        XCTAssertNotEqual(Hash.blake2b256([]), Hash.blake2b256([0]))
    }
}
