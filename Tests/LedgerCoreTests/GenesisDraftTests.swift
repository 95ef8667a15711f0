// Checks the genesis ceremony's core: a draft built one validator and account at a time, each refusal with its
// error and message (the draft left unchanged), finalizing, the draft/final JSON forms, the hand-over file, and
// that network addresses are outside the genesis hash while keys and balances are inside.
import Foundation
import LedgerCore
import LedgerCrypto
import XCTest

final class GenesisDraftTests: XCTestCase {
    private func emptyDraft() throws(GenesisError) -> GenesisDraft {
        try GenesisDraft(chainID: "acme-main", genesisTimeMs: 1_700_000_000_000, consensus: .testDefaults, isTestNetwork: false)
    }

    private func keyHex(_ i: Int) -> String { Fixtures.key(UInt8(0x40 + i)).publicKey.hex }

    /// A draft with validators 0..<n at org\(i).example:26600.
    private func draft(validators n: Int) throws(GenesisError) -> GenesisDraft {
        var d = try emptyDraft()
        for i in 0..<n { try d.addValidator(publicKeyHex: keyHex(i), p2pAddress: "org\(i).example:26600") }
        return d
    }

    func testADraftBuiltStepByStepFinalizesIntoTheSameValues() throws {
        var d = try draft(validators: 3)
        let fourth = try d.addValidator(publicKeyHex: keyHex(3), p2pAddress: "org3.example:26600", rpcAddress: "org3.example:26700")
        XCTAssertEqual(fourth.id, ReplicaID(3))
        XCTAssertEqual(fourth.rpcAddress, "org3.example:26700")
        let alice = Fixtures.address(Fixtures.key(0x20))
        try d.addAccount(address: alice.string, balance: "1000000")
        let g = try d.finalized()
        XCTAssertEqual(g.validators, d.validators)
        XCTAssertEqual(g.validators.map(\.id), (0..<4).map(ReplicaID.init))
        XCTAssertEqual(g.accounts, [GenesisAccount(address: alice, balance: 1_000_000)])
        XCTAssertFalse(g.isTestNetwork)
        XCTAssertEqual(g.chainID, "acme-main")
        XCTAssertEqual(g.genesisTimeMs, 1_700_000_000_000)
    }

    func testADraftIsNeverLoadedAsAGenesisAndAGenesisIsNotEditedAsADraft() throws {
        let d = try draft(validators: 4)
        XCTAssertTrue(String(decoding: d.jsonBytes(), as: UTF8.self).contains("\"draft\" : true"))
        XCTAssertEqual(try GenesisDraft.load(json: d.jsonBytes()), d)
        let error = thrownError { () throws(GenesisError) in try Genesis.load(json: d.jsonBytes()) }
        XCTAssertEqual(error, .draftNotFinalized)
        XCTAssertTrue("\(error!)".contains("ledger-node genesis finalize"), "\(error!)")
        let g = try d.finalized()
        XCTAssertFalse(String(decoding: g.jsonBytes(), as: UTF8.self).contains("draft"))
        XCTAssertEqual(try Genesis.load(json: g.jsonBytes()), g)
        assertThrows(GenesisError.notADraft) { () throws(GenesisError) in try GenesisDraft.load(json: g.jsonBytes()) }
    }

    /// Each row: what is tried on a draft with validators 0 and 1 and one account, the error and a part of its message.
    func testEveryRefusalNamesTheProblemAndLeavesTheDraftUnchanged() throws {
        var base = try draft(validators: 2)
        let alice = Fixtures.address(Fixtures.key(0x20)).string
        try base.addAccount(address: alice, balance: "5")
        let bob = Fixtures.address(Fixtures.key(0x21)).string
        let rows: [(String, (inout GenesisDraft) throws(GenesisError) -> Void, GenesisError, String)] = [
            ("duplicate key", { d throws(GenesisError) in try d.addValidator(publicKeyHex: self.keyHex(0), p2pAddress: "new.example:1") },
             .duplicateValidatorKey(id: 2, otherID: 0), "validators 0 and 2 have the same public_key"),
            ("duplicate p2p address", { d throws(GenesisError) in try d.addValidator(publicKeyHex: self.keyHex(5), p2pAddress: "org1.example:26600") },
             .duplicateNetworkAddress(id: 2, otherID: 1, address: "org1.example:26600"),
             "validators 1 and 2 have the same p2p_address org1.example:26600"),
            ("key not hex", { d throws(GenesisError) in try d.addValidator(publicKeyHex: "xyz", p2pAddress: "new.example:1") },
             .invalidValidatorKey(id: 2, reason: "not a hexadecimal string of even length"), "validator 2 public_key is invalid"),
            ("key too short", { d throws(GenesisError) in try d.addValidator(publicKeyHex: "abcd", p2pAddress: "new.example:1") },
             .invalidValidatorKey(id: 2, reason: "public key must be 32 bytes, got 2"), "must be 32 bytes"),
            ("key not a valid point", { d throws(GenesisError) in
                try d.addValidator(publicKeyHex: Hex.encode(Fixtures.lowOrderKeyBytes), p2pAddress: "new.example:1") },
             .invalidValidatorKey(id: 2, reason: "public key is not a valid Ed25519 point (non-canonical, off-curve or low-order)"),
             "not a valid Ed25519 point"),
            ("p2p address without port", { d throws(GenesisError) in try d.addValidator(publicKeyHex: self.keyHex(5), p2pAddress: "new.example") },
             .invalidNetworkAddress(id: 2, field: "p2p_address", value: "new.example", reason: "missing ':port'"),
             "validator 2 p2p_address 'new.example' is not host:port: missing ':port'"),
            ("bad rpc address", { d throws(GenesisError) in
                try d.addValidator(publicKeyHex: self.keyHex(5), p2pAddress: "new.example:1", rpcAddress: "new.example:0") },
             .invalidNetworkAddress(id: 2, field: "rpc_address", value: "new.example:0", reason: "port must be 1...65535 without leading zeros"),
             "rpc_address"),
            ("zero balance", { d throws(GenesisError) in try d.addAccount(address: bob, balance: "0") },
             .invalidBalance(index: 1, value: "0"), "account 1 balance '0' must be a positive decimal integer"),
            ("balance not decimal", { d throws(GenesisError) in try d.addAccount(address: bob, balance: "1e6") },
             .invalidBalance(index: 1, value: "1e6"), "balance '1e6'"),
            ("mistyped address", { d throws(GenesisError) in try d.addAccount(address: String(bob.dropLast()) + "q", balance: "1") },
             .invalidAccountAddress(index: 1, error: .invalidChecksum), "account 1 address is invalid"),
            ("duplicate account", { d throws(GenesisError) in try d.addAccount(address: alice, balance: "1") },
             .duplicateAccount(index: 1, firstIndex: 0, address: alice), "accounts 0 and 1 both have address"),
            ("supply overflow", { d throws(GenesisError) in try d.addAccount(address: bob, balance: "18446744073709551615") },
             .totalSupplyOverflow, "add up to more than 18446744073709551615"),
            ("move an unknown validator", { d throws(GenesisError) in try d.moveValidator(ReplicaID(7), p2pAddress: "x.example:1", rpcAddress: nil) },
             .unknownValidator(id: 7, count: 2), "there is no validator 7"),
            ("move onto another's address", { d throws(GenesisError) in
                try d.moveValidator(ReplicaID(0), p2pAddress: "org1.example:26600", rpcAddress: nil) },
             .duplicateNetworkAddress(id: 1, otherID: 0, address: "org1.example:26600"), "same p2p_address"),
        ]
        for (name, change, expected, message) in rows {
            var d = base
            let error = thrownError { () throws(GenesisError) in try change(&d) }
            XCTAssertEqual(error, expected, name)
            XCTAssertTrue(error.map { "\($0)".contains(message) } ?? false, "\(name): \(String(describing: error))")
            XCTAssertEqual(d, base, "\(name) changed the draft")
        }
    }

    func testADraftTakesAtMostTheMostValidatorsAndFinalizesFromFour() throws {
        var d = try emptyDraft()
        for i in 0..<Limits.validatorsMax {
            try d.addValidator(publicKeyHex: Fixtures.key(using: &rng).publicKey.hex, p2pAddress: "v\(i).example:26600")
        }
        let error = thrownError { () throws(GenesisError) in
            try d.addValidator(publicKeyHex: Fixtures.key(using: &rng).publicKey.hex, p2pAddress: "extra.example:26600")
        }
        XCTAssertEqual(error, .tooManyValidators(count: 101, maximum: 100))
        XCTAssertEqual(error.map { "\($0)" }, "genesis would have 101 validators; at most 100 are allowed")
        for n in [0, 1, 3] {
            let finalizing = thrownError { () throws(GenesisError) in try draft(validators: n).finalized() }
            XCTAssertEqual(finalizing, .invalidValidatorCount(count: n, maximum: 100), "n = \(n)")
        }
        XCTAssertTrue("\(GenesisError.invalidValidatorCount(count: 3, maximum: 100))".contains("genesis has 3 validators; need at least 4"))
        for n in [4, 5, 6, 7] { XCTAssertNoThrow(try draft(validators: n).finalized(), "n = \(n)") }
    }

    private var rng = SeededGenerator(seed: 34)

    func testMovingAValidatorKeepsTheHashWhileKeysAndBalancesChangeIt() throws {
        var d = try draft(validators: 4)
        try d.addAccount(address: Fixtures.address(Fixtures.key(0x20)).string, balance: "100")
        let g = try d.finalized()
        let moved = try g.movingValidator(ReplicaID(2), p2pAddress: "new-home.example:30000", rpcAddress: "new-home.example:30100")
        XCTAssertEqual(moved.validators[2].p2pAddress, "new-home.example:30000")
        XCTAssertEqual(moved.validators[2].rpcAddress, "new-home.example:30100")
        XCTAssertEqual(moved.validators[1], g.validators[1])
        XCTAssertEqual(moved.genesisHash, g.genesisHash, "an address is outside the hash")
        XCTAssertNotEqual(moved, g)
        // The same through the draft, before finalizing.
        var movedDraft = d
        try movedDraft.moveValidator(ReplicaID(2), p2pAddress: "new-home.example:30000", rpcAddress: nil)
        XCTAssertEqual(try movedDraft.finalized().genesisHash, g.genesisHash)
        // What the hash covers: a key, a balance, the test flag.
        var otherKey = try draft(validators: 3)
        try otherKey.addValidator(publicKeyHex: keyHex(9), p2pAddress: "org3.example:26600")
        try otherKey.addAccount(address: Fixtures.address(Fixtures.key(0x20)).string, balance: "100")
        XCTAssertNotEqual(try otherKey.finalized().genesisHash, g.genesisHash, "a key is inside the hash")
        var otherBalance = try draft(validators: 4)
        try otherBalance.addAccount(address: Fixtures.address(Fixtures.key(0x20)).string, balance: "101")
        XCTAssertNotEqual(try otherBalance.finalized().genesisHash, g.genesisHash, "a balance is inside the hash")
        let test = try Genesis(chainID: g.chainID, genesisTimeMs: g.genesisTimeMs, validators: g.validators, accounts: g.accounts,
                               consensus: g.consensus, isTestNetwork: true)
        XCTAssertNotEqual(test.genesisHash, g.genesisHash, "the test flag is inside the hash")
    }

    /// A known answer: genesis/example.json's hash under encoding version 2 (addresses left out), computed
    /// independently of this code (Python's hashlib.blake2b over the encoding in genesis/README.md).
    func testTheExampleGenesisHashIsTheKnownAnswer() throws {
        let g = try Genesis.load(from: GenesisTests.examplePath)
        XCTAssertEqual(Genesis.version, 2)
        XCTAssertEqual(g.encoded().first, 2)
        XCTAssertEqual(g.genesisHash.hex, Self.exampleHashV2)
    }

    static let exampleHashV2 = "e83913a373ee110bef90996a39512383ec7af38ccebe106d53d98cddf781e99d"

    func testTheHandOverFileRoundTripsAndRefusesUnknownFields() throws {
        let dir = NSTemporaryDirectory() + "handover-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/validator.json"
        let handover = ValidatorHandover(publicKeyHex: keyHex(0), p2pAddress: "org0.example:26600", rpcAddress: "org0.example:26700")
        try Data(handover.jsonBytes()).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try ValidatorHandover.load(from: path), handover)
        for (text, expected) in [
            (#"{"public_key": "\#(keyHex(0))", "p2p_address": "a.example:1", "nmae": "acme"}"#, "unknown field 'nmae' (typo?)"),
            (#"{"p2p_address": "a.example:1"}"#, "missing field 'public_key'"),
            ("[]", "top level"),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let error = thrownError { () throws(GenesisError) in try ValidatorHandover.load(from: path) }
            guard case .invalidHandover(let where_, let reason)? = error else { XCTFail("\(String(describing: error))"); continue }
            XCTAssertEqual(where_, path)
            XCTAssertTrue(reason.contains(expected), reason)
            XCTAssertTrue("\(error!)".hasPrefix("validator hand-over file \(path) is unusable: "), "\(error!)")
        }
        let missing = thrownError { () throws(GenesisError) in try ValidatorHandover.load(from: dir + "/nope.json") }
        guard case .invalidHandover(dir + "/nope.json", _)? = missing else { return XCTFail("\(String(describing: missing))") }
    }
}
