// Checks that a key file written by an earlier wallet (before its Argon2id / XChaCha20-Poly1305 calls moved into
// LedgerCrypto) still unlocks to the same key, and refuses the wrong passphrase.
import LedgerCore
import LedgerCrypto
import Wallet
import XCTest

final class KeyFileCompatibilityTests: XCTestCase {
    /// Written by the former `KeyFile.seal` for seed 00…1f under "correct horse" at Argon2id's minimum cost.
    static let earlierFile = #"{"version":1,"name":"fixture","address":"ldg1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuq7uzpww","public_key":"03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8","kdf":{"name":"argon2id","salt":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","opslimit":1,"memlimit":8192},"cipher":{"name":"xchacha20poly1305","nonce":"e597c55101ceff668606a4ec0c8c68750121ffb5858f27d3","ciphertext":"95944847177cb68aa7d4d1678ddbc9712dc8a33e923c81a9579de1cf90805fe4a4deb419bdda8723ea2059b3fa8b0ad4"}}"#

    func testAFileWrittenEarlierStillUnlocks() throws {
        let file = try KeyFile.decode(Array(Self.earlierFile.utf8), path: "fixture.json")
        XCTAssertEqual(file.name.value, "fixture")
        let key = try file.unlock(passphrase: Array("correct horse".utf8), path: "fixture.json")
        XCTAssertEqual(key.seed, (0..<32).map { UInt8($0) })
        XCTAssertEqual(Address(publicKey: key.publicKey), file.address)
        XCTAssertThrowsError(try file.unlock(passphrase: Array("correct horsf".utf8), path: "fixture.json")) {
            XCTAssertEqual($0 as? KeystoreError, .wrongPassphrase(name: "fixture"))
        }
    }

    func testResealingUnderTheSameParametersRoundTrips() throws {
        let old = try KeyFile.decode(Array(Self.earlierFile.utf8), path: "fixture.json")
        let key = try old.unlock(passphrase: Array("correct horse".utf8), path: "fixture.json")
        let fresh = try KeyFile.seal(key: key, name: old.name, passphrase: Array("correct horse".utf8), parameters: old.kdf)
        XCTAssertNotEqual(fresh.nonce, old.nonce, "a fresh nonce")
        let reread = try KeyFile.decode(Array(fresh.json().serialized().utf8), path: "fresh.json")
        XCTAssertEqual(try reread.unlock(passphrase: Array("correct horse".utf8), path: "fresh.json").seed, key.seed)
    }
}
