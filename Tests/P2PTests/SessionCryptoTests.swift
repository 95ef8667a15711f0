// Checks the session cryptography added to LedgerCrypto (X25519 key exchange, ChaCha20-Poly1305 with counter nonces) by sealing, opening and tampering.
import LedgerCrypto
import XCTest

final class SessionCryptoTests: XCTestCase {
    /// Low-order Curve25519 u-coordinates (and non-canonical encodings of them).
    static let lowOrderPoints: [String] = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ]

    func testClientAndServerDeriveMatchingDirectionalKeys() throws {
        let client = KeyExchangeKeyPair.generate()
        let server = KeyExchangeKeyPair.generate()
        let c = try client.clientSessionKeys(serverPublicKey: server.publicKey)
        let s = try server.serverSessionKeys(clientPublicKey: client.publicKey)
        let toServer = try c.transmit.seal(Array("hello server".utf8), counter: 0)
        XCTAssertEqual(try s.receive.open(toServer, counter: 0), Array("hello server".utf8))
        let toClient = try s.transmit.seal(Array("hello client".utf8), counter: 0)
        XCTAssertEqual(try c.receive.open(toClient, counter: 0), Array("hello client".utf8))
        // The two directions use different keys, so a frame cannot be reflected back.
        XCTAssertThrowsError(try c.receive.open(toServer, counter: 0))
    }

    func testLowOrderPeerKeysAreRefused() throws {
        let ours = KeyExchangeKeyPair.generate()
        for hex in Self.lowOrderPoints {
            let bad = try KeyExchangePublicKey(bytes: Hex.decode(hex)!)
            XCTAssertThrowsError(try ours.clientSessionKeys(serverPublicKey: bad), hex) {
                XCTAssertEqual($0 as? SessionCryptoError, .weakKeyExchange)
            }
            XCTAssertThrowsError(try ours.serverSessionKeys(clientPublicKey: bad), hex) {
                XCTAssertEqual($0 as? SessionCryptoError, .weakKeyExchange)
            }
        }
    }

    func testKeyExchangePublicKeyMustBe32Bytes() {
        XCTAssertThrowsError(try KeyExchangePublicKey(bytes: [UInt8](repeating: 9, count: 31)))
    }

    func testSeededKeyPairIsDeterministic() throws {
        let a = try KeyExchangeKeyPair(seed: [UInt8](repeating: 7, count: 32))
        let b = try KeyExchangeKeyPair(seed: [UInt8](repeating: 7, count: 32))
        let c = try KeyExchangeKeyPair(seed: [UInt8](repeating: 8, count: 32))
        XCTAssertEqual(a.publicKey, b.publicKey)
        XCTAssertNotEqual(a.publicKey, c.publicKey)
    }

    func testAEADRoundTripAddsOneTag() throws {
        let key = AEADKey.generate()
        let message = Array("transfer 10 to bob".utf8)
        let sealed = try key.seal(message, counter: 42, associatedData: [1, 2, 3])
        XCTAssertEqual(sealed.count, message.count + AEADKey.tagByteCount)
        XCTAssertNotEqual(Array(sealed.prefix(message.count)), message)
        XCTAssertEqual(try key.open(sealed, counter: 42, associatedData: [1, 2, 3]), message)
        XCTAssertEqual(try key.open(try key.seal([], counter: 0), counter: 0), [])
    }

    func testAEADDetectsTamperingWrongCounterWrongKeyAndAssociatedData() throws {
        let key = AEADKey.generate()
        let sealed = try key.seal(Array("payload".utf8), counter: 5)
        for i in sealed.indices {
            var tampered = sealed
            tampered[i] ^= 0x01
            XCTAssertThrowsError(try key.open(tampered, counter: 5), "flip at byte \(i)") {
                XCTAssertEqual($0 as? SessionCryptoError, .authenticationFailed)
            }
        }
        XCTAssertThrowsError(try key.open(sealed, counter: 6))
        XCTAssertThrowsError(try key.open(sealed, counter: 5, associatedData: [0]))
        XCTAssertThrowsError(try AEADKey.generate().open(sealed, counter: 5))
        XCTAssertThrowsError(try key.open(Array(sealed.dropLast()), counter: 5))
        XCTAssertThrowsError(try key.open([UInt8](repeating: 0, count: 15), counter: 5))
    }

    func testCounterNoncesGiveDistinctCiphertextsForEqualMessages() throws {
        let key = AEADKey.generate()
        let message = [UInt8](repeating: 0xAB, count: 64)
        let first = try key.seal(message, counter: 0)
        let second = try key.seal(message, counter: 1)
        let high = try key.seal(message, counter: UInt64.max - 1)
        XCTAssertNotEqual(first, second)
        XCTAssertNotEqual(second, high)
        XCTAssertEqual(try key.open(high, counter: UInt64.max - 1), message)
    }

    func testBindingToContextChangesTheKey() throws {
        let key = AEADKey.generate()
        let context = Hash.blake2b256([1])
        let sealed = try key.bound(to: context).seal([9, 9], counter: 0)
        XCTAssertEqual(try key.bound(to: context).open(sealed, counter: 0), [9, 9])
        XCTAssertThrowsError(try key.open(sealed, counter: 0))
        XCTAssertThrowsError(try key.bound(to: Hash.blake2b256([2])).open(sealed, counter: 0))
    }
}
