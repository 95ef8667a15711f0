// Checks Argon2id and XChaCha20-Poly1305 (SealingKey) against known answers computed by the wallet's libsodium calls
// before they moved into LedgerCrypto, so key files written earlier still open; and that tampering is refused.
import LedgerCrypto
import XCTest

final class KeystoreSealingTests: XCTestCase {
    // A key file sealed by the former Wallet.KeyEncryption: seed 00…1f, passphrase "correct horse",
    // salt a0…af, Argon2id at the minimum cost (opslimit 1, 8 KiB).
    let passphrase = Array("correct horse".utf8)
    let salt = hexBytes("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")
    let seed = (0..<32).map { UInt8($0) }
    let derivedKey = hexBytes("814f360b6ccbed970838531d01b284455173be7d3f0bef4fd28444f063d586d3")
    let emptyPassphraseKey = hexBytes("d7901b3e1ea8d24402e95cc8feb3fb4a21b12960f1fb3313b0bf459ae46c4de1")
    let nonce = hexBytes("e597c55101ceff668606a4ec0c8c68750121ffb5858f27d3")
    let ciphertext = hexBytes("""
        95944847177cb68aa7d4d1678ddbc9712dc8a33e923c81a9579de1cf90805fe4a4deb419bdda8723ea2059b3fa8b0ad4
        """)
    let associatedData = hexBytes("""
        6c65646765722d6b657973746f72652d76310066697874757265006c6467317177737330306c6e65636774753874736d357677776a37
        716e396e37663433736e776a73366863616d6a727867796a347878757137757a707777
        """)

    var cost: Argon2id.Cost { Argon2id.Cost(opsLimit: 1, memLimitBytes: 8192) }

    func testMinimumCostIsLibsodiumsFloor() {
        XCTAssertEqual(Argon2id.Cost.minimum, cost)
        XCTAssertEqual(Argon2id.Cost.interactive, Argon2id.Cost(opsLimit: 2, memLimitBytes: 64 << 20))
    }

    func testArgon2idDerivesTheKnownKey() throws {
        let derived = try Argon2id.deriveKey(passphrase: passphrase, salt: salt, cost: cost)
        let known = try SealingKey(bytes: derivedKey)
        // The keys are hidden; equal keys seal the same plaintext under the same nonce identically.
        XCTAssertEqual(try derived.seal(seed, nonce: nonce, associatedData: associatedData), ciphertext)
        XCTAssertEqual(try known.seal(seed, nonce: nonce, associatedData: associatedData), ciphertext)
        let empty = try Argon2id.deriveKey(passphrase: [], salt: salt, cost: cost)
        XCTAssertEqual(
            try empty.seal(seed, nonce: nonce, associatedData: []),
            try SealingKey(bytes: emptyPassphraseKey).seal(seed, nonce: nonce, associatedData: []))
    }

    func testTheKnownCiphertextOpensAndTamperingIsRefused() throws {
        let key = try SealingKey(bytes: derivedKey)
        XCTAssertEqual(try key.open(ciphertext, nonce: nonce, associatedData: associatedData), seed)
        var changed = ciphertext
        changed[5] ^= 1
        for (c, n, ad, what) in [
            (changed, nonce, associatedData, "a changed ciphertext"),
            (ciphertext, nonce, associatedData + [0], "other associated data"),
            (ciphertext, [UInt8](repeating: 0, count: 24), associatedData, "another nonce"),
            (ciphertext, Array(nonce.prefix(12)), associatedData, "a short nonce"),
            (Array(ciphertext.prefix(15)), nonce, associatedData, "shorter than a tag"),
        ] {
            XCTAssertThrowsError(try key.open(c, nonce: n, associatedData: ad), what) {
                XCTAssertEqual($0 as? CryptoError, .authenticationFailed, what)
            }
        }
        let other = try Argon2id.deriveKey(passphrase: Array("wrong".utf8), salt: salt, cost: cost)
        XCTAssertThrowsError(try other.open(ciphertext, nonce: nonce, associatedData: associatedData))
    }

    func testRandomNonceSealingRoundTrips() throws {
        let key = try SealingKey(bytes: derivedKey)
        let a = key.seal(seed, associatedData: [1])
        let b = key.seal(seed, associatedData: [1])
        XCTAssertEqual(a.nonce.count, SealingKey.nonceByteCount)
        XCTAssertNotEqual(a.nonce, b.nonce, "a fresh nonce each time")
        XCTAssertEqual(a.ciphertext.count, seed.count + SealingKey.tagByteCount)
        XCTAssertEqual(try key.open(a.ciphertext, nonce: a.nonce, associatedData: [1]), seed)
    }

    func testBadInputsAreTypedErrorsNotTraps() {
        XCTAssertThrowsError(try Argon2id.deriveKey(passphrase: passphrase, salt: [1, 2, 3], cost: cost)) {
            XCTAssertEqual($0 as? CryptoError, .invalidLength(what: "Argon2id salt", expected: 16, actual: 3))
        }
        XCTAssertThrowsError(try Argon2id.deriveKey(passphrase: passphrase, salt: salt, cost: Argon2id.Cost(opsLimit: 0, memLimitBytes: 8192))) {
            XCTAssertEqual($0 as? CryptoError, .keyDerivationFailed(memLimitBytes: 8192))
        }
        XCTAssertThrowsError(try Argon2id.deriveKey(passphrase: passphrase, salt: salt, cost: Argon2id.Cost(opsLimit: 1, memLimitBytes: .max))) {
            XCTAssertEqual($0 as? CryptoError, .keyDerivationFailed(memLimitBytes: .max))
        }
        XCTAssertThrowsError(try SealingKey(bytes: [UInt8](repeating: 0, count: 31)))
        XCTAssertThrowsError(try SealingKey(bytes: derivedKey).seal(seed, nonce: [0], associatedData: []))
    }

    func testZeroingClearsEveryByte() {
        var secret: [UInt8] = [1, 2, 3, 4]
        SecureMemory.zero(&secret)
        XCTAssertEqual(secret, [0, 0, 0, 0])
    }
}
