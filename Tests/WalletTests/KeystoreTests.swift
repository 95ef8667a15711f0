// Keystore: encrypt/decrypt round trips, wrong passphrases, file modes, damaged files and names, on a temp folder.
import Foundation
import LedgerCore
import LedgerCrypto
import Wallet
import XCTest

final class KeystoreTests: XCTestCase {
    private var folder = ""
    private let pass = Array("correct horse".utf8)

    override func setUp() {
        folder = NSTemporaryDirectory() + "wallet-tests-\(getpid())-\(UUID().uuidString)/keys"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent)
    }

    private func name(_ s: String) throws -> KeyName { try KeyName(s) }

    func testCreateUnlockRoundTripGivesTheSameKeyAndAddress() throws {
        let store = Keystore(folder: folder)
        let seed = [UInt8](repeating: 7, count: 32)
        let info = try store.create(name: try name("alice"), seed: seed, passphrase: pass, strength: .interactive)
        XCTAssertEqual(info.address, Address(publicKey: try SigningKey(seed: seed).publicKey))
        let key = try store.unlock(try name("alice"), passphrase: pass)
        XCTAssertEqual(key.seed, seed)
        XCTAssertEqual(try store.info(try name("alice")).address, info.address)
        // A fresh key: different seed each time, still round-trips.
        let b = try store.create(name: try name("bob"), passphrase: pass, strength: .interactive)
        XCTAssertNotEqual(b.address, info.address)
        XCTAssertEqual(Address(publicKey: try store.unlock(try name("bob"), passphrase: pass).publicKey), b.address)
        XCTAssertEqual(try store.list().keys.map(\.name.value), ["alice", "bob"])
    }

    func testWrongPassphraseIsATypedErrorNamingTheKey() throws {
        let store = Keystore(folder: folder)
        try store.create(name: try name("alice"), passphrase: pass, strength: .interactive)
        XCTAssertThrowsError(try store.unlock(try name("alice"), passphrase: Array("wrong".utf8))) { error in
            XCTAssertEqual(error as? KeystoreError, .wrongPassphrase(name: "alice"))
            XCTAssertEqual(WalletError.keystore(error as! KeystoreError).exitCode, WalletExitCode.keystore)
        }
        XCTAssertThrowsError(try store.create(name: try name("empty"), passphrase: [], strength: .interactive)) { error in
            XCTAssertEqual(error as? KeystoreError, .emptyPassphrase)
        }
    }

    func testFilesAre0600AndTheFolder0700EvenWithAPermissiveUmask() throws {
        let old = umask(0)
        defer { umask(old) }
        let store = Keystore(folder: folder)
        let info = try store.create(name: try name("alice"), passphrase: pass, strength: .interactive)
        var st = stat()
        XCTAssertEqual(stat(info.path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat(folder, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
        // No temporary files are left behind.
        let entries = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(entries, ["alice.json"])
    }

    func testAnExistingKeyIsNeverOverwritten() throws {
        let store = Keystore(folder: folder)
        let first = try store.create(name: try name("alice"), passphrase: pass, strength: .interactive)
        XCTAssertThrowsError(try store.create(name: try name("alice"), passphrase: pass, strength: .interactive)) { error in
            guard case .keyExists(name: "alice", _)? = error as? KeystoreError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try store.info(try name("alice")).address, first.address)
    }

    func testTamperedCiphertextOrSwappedNameFailsAuthentication() throws {
        let store = Keystore(folder: folder)
        let info = try store.create(name: try name("alice"), passphrase: pass, strength: .interactive)
        let original = try String(contentsOfFile: info.path, encoding: .utf8)
        var file = try KeyFile.decode(Array(original.utf8), path: info.path)
        // Flip one ciphertext bit.
        file.ciphertext[3] ^= 0x01
        try file.json().serialized().write(toFile: info.path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try store.unlock(try name("alice"), passphrase: pass)) { error in
            XCTAssertEqual(error as? KeystoreError, .wrongPassphrase(name: "alice"))
        }
        // Same ciphertext moved under another name: the associated data no longer matches.
        let moved = Keystore(folder: folder).path(for: try name("mallory"))
        var renamed = try KeyFile.decode(Array(original.utf8), path: info.path)
        renamed.name = try name("mallory")
        try renamed.json().serialized().write(toFile: moved, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try store.unlock(try name("mallory"), passphrase: pass)) { error in
            XCTAssertEqual(error as? KeystoreError, .wrongPassphrase(name: "mallory"))
        }
    }

    func testDamagedFilesAreReportedAsSuchNotAsWrongPassphrases() throws {
        let store = Keystore(folder: folder)
        let info = try store.create(name: try name("alice"), passphrase: pass, strength: .interactive)
        let original = try String(contentsOfFile: info.path, encoding: .utf8)
        let cases: [String] = [
            String(original.prefix(original.count / 2)),  // truncated
            original.replacingOccurrences(of: "\"memlimit\": 67108864", with: "\"memlimit\": 68719476736"),  // 64 GiB
            original.replacingOccurrences(of: "\"nonce\": \"", with: "\"nonce\": \"zz"),
            original.replacingOccurrences(of: "\"public_key\": \"", with: "\"public_key\": \"00"),
            "[]",
        ]
        for text in cases {
            try text.write(toFile: info.path, atomically: false, encoding: .utf8)
            XCTAssertThrowsError(try store.unlock(try name("alice"), passphrase: pass)) { error in
                guard case .corruptFile? = error as? KeystoreError else { return XCTFail("\(text.prefix(40)): \(error)") }
            }
        }
        try original.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 9").write(toFile: info.path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try store.unlock(try name("alice"), passphrase: pass)) { error in
            guard case .unsupported? = error as? KeystoreError else { return XCTFail("\(error)") }
        }
        // list() keeps going and reports the bad file.
        try store.create(name: try name("bob"), passphrase: pass, strength: .interactive)
        let listing = try store.list()
        XCTAssertEqual(listing.keys.map(\.name.value), ["bob"])
        XCTAssertEqual(listing.problems.count, 1)
    }

    func testNamesCannotEscapeTheFolder() {
        for bad in ["", "../x", "a/b", "a\\b", ".hidden", "-flag", String(repeating: "a", count: 65), "a b", "ünï"] {
            XCTAssertThrowsError(try KeyName(bad), bad) { error in
                guard case .invalidName? = error as? KeystoreError else { return XCTFail("\(error)") }
            }
        }
        for good in ["alice", "A.b_c-1", String(repeating: "z", count: 64), "0"] {
            XCTAssertNoThrow(try KeyName(good), good)
        }
    }

    func testMissingAndDeletedKeys() throws {
        let store = Keystore(folder: folder)
        XCTAssertThrowsError(try store.info(try name("ghost"))) { error in
            guard case .keyNotFound(name: "ghost", _)? = error as? KeystoreError else { return XCTFail("\(error)") }
        }
        try store.create(name: try name("alice"), passphrase: pass, strength: .interactive)
        try store.delete(try name("alice"))
        XCTAssertFalse(store.contains(try name("alice")))
        XCTAssertThrowsError(try store.delete(try name("alice")))
        XCTAssertEqual(try store.list().keys.count, 0)
    }

    func testDefaultFolderFollowsOptionThenEnvironmentThenHome() {
        XCTAssertEqual(Keystore.defaultFolder(option: "/x", environment: ["LEDGER_KEYSTORE": "/y", "HOME": "/h"]), "/x")
        XCTAssertEqual(Keystore.defaultFolder(option: nil, environment: ["LEDGER_KEYSTORE": "/y", "HOME": "/h"]), "/y")
        XCTAssertEqual(Keystore.defaultFolder(option: nil, environment: ["HOME": "/h"]), "/h/.ledger/keys")
    }

    func testKDFParameterBoundsRefuseAbsurdFiles() {
        let ok = KDFStrength.interactive.makeParameters()
        XCTAssertNil(KeyEncryption.problem(with: ok))
        XCTAssertEqual(ok.salt.count, KeyEncryption.saltByteCount)
        var big = ok
        big.memLimitBytes = 1 << 40
        XCTAssertNotNil(KeyEncryption.problem(with: big))
        var slow = ok
        slow.opsLimit = 1_000_000
        XCTAssertNotNil(KeyEncryption.problem(with: slow))
        var salty = ok
        salty.salt = [1, 2, 3]
        XCTAssertNotNil(KeyEncryption.problem(with: salty))
    }
}
