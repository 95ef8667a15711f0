// Checks genesis loading: the example file, the canonical hash (independent of JSON formatting), helpers, and a table of every validation error.
import Foundation
import LedgerCore
import LedgerCrypto
import XCTest

final class GenesisTests: XCTestCase {
    static var examplePath: String {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()  // LedgerCoreTests
        url.deleteLastPathComponent()  // Tests
        url.deleteLastPathComponent()  // package root
        return url.appendingPathComponent("genesis/example.json").path
    }

    static var exampleText: String { try! String(contentsOfFile: examplePath, encoding: .utf8) }

    func load(_ text: String) throws(GenesisError) -> Genesis { try Genesis.load(json: Array(text.utf8)) }

    func testExampleLoads() throws {
        let g = try Genesis.load(from: Self.examplePath)
        XCTAssertEqual(g.chainID, "ledger-testnet")
        XCTAssertEqual(g.validatorCount, 4)
        XCTAssertEqual(g.f, 1)
        XCTAssertEqual(g.quorum, 3)
        XCTAssertEqual(g.weakQuorum, 2)
        XCTAssertTrue(g.isTestNetwork)
        XCTAssertEqual(g.validators.map(\.id), (0..<4).map(ReplicaID.init))
        XCTAssertEqual(g.validators[0].rpcAddress, "127.0.0.1:26700")
        XCTAssertNil(g.validators[3].rpcAddress)
        XCTAssertEqual(g.accounts.count, 3)
        XCTAssertEqual(g.consensus.window, 400)
        XCTAssertEqual(g.consensus.batchLimits, BatchLimits(maxTransactions: 1000, maxBytes: 1_048_576))
        // The example's validator keys are the documented test seeds 0x10...0x13.
        for i in 0..<4 {
            let key = try SigningKey(seed: [UInt8](repeating: UInt8(0x10 + i), count: 32))
            XCTAssertEqual(g.validator(ReplicaID(i))?.publicKey, key.publicKey)
            XCTAssertEqual(g.validator(withKey: key.publicKey)?.id, ReplicaID(i))
        }
        XCTAssertNil(g.validator(ReplicaID(4)))
    }

    func testGenesisHeaderAndState() throws {
        let g = try Genesis.load(from: Self.examplePath)
        let h = g.header
        XCTAssertEqual(h.height, .zero)
        XCTAssertEqual(h.previousHash, g.genesisHash)
        XCTAssertEqual(h.timestamp, g.genesisTimeMs)
        XCTAssertEqual(h.stateHash, StateHash.genesis(accounts: g.initialAccounts))
        XCTAssertEqual(g.initialState.totalBalance, 1_500_000_250_000)
        XCTAssertEqual(g.initialAccounts, g.initialAccounts.sorted { $0.publicKey < $1.publicKey })
    }

    func testHashIgnoresFormattingAndAccountOrderButNotContent() throws {
        let g = try load(Self.exampleText)
        let minified = Self.exampleText.filter { !$0.isWhitespace || false }
        XCTAssertEqual(try load(minified).genesisHash, g.genesisHash)
        XCTAssertEqual(try Genesis.load(json: g.jsonBytes()), g)
        XCTAssertEqual(try Genesis.load(json: g.jsonBytes()).genesisHash, g.genesisHash)
        let reordered = try Genesis(
            chainID: g.chainID, genesisTimeMs: g.genesisTimeMs, validators: g.validators, accounts: g.accounts.reversed(),
            consensus: g.consensus, isTestNetwork: g.isTestNetwork)
        XCTAssertEqual(reordered.genesisHash, g.genesisHash)
        let changed = try load(Self.exampleText.replacingOccurrences(of: "\"250000\"", with: "\"250001\""))
        XCTAssertNotEqual(changed.genesisHash, g.genesisHash)
        let notTest = try load(Self.exampleText.replacingOccurrences(of: "\"test_network\": true", with: "\"test_network\": false"))
        XCTAssertNotEqual(notTest.genesisHash, g.genesisHash)
        XCTAssertFalse(notTest.isTestNetwork)
    }

    /// Each row: a description, a text substitution applied to the example, and the expected error.
    func testInvalidGenesisFilesAreRefusedWithTheRightError() {
        let v0 = "5c9c6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de84"
        let v1 = "d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737"
        let a0 = "ldg1fmfj7calxhcwam7tyheg5tslhhy88t3gx4n3kry5vr6lztj9265qlk7m80"
        let a1 = "ldg13p9cs4l5a2skz0rp2pxmxn2tate5v5t6pccau0xa6nvmggqan59svuu536"
        let rows: [(String, String, String, GenesisError)] = [
            ("bad chain id", "\"ledger-testnet\"", "\"Ledger\"",
             .invalidChainID(reason: "chain id must start with a lowercase letter or digit (byte 76 at position 0)")),
            ("unknown top-level key", "\"test_network\": true", "\"test_network\": true, \"tset\": 1",
             .unknownField(path: "top level", key: "tset")),
            ("misspelt validator key", "\"rpc_address\": \"127.0.0.1:26700\"", "\"rpc_adress\": \"127.0.0.1:26700\"",
             .unknownField(path: "validators[0]", key: "rpc_adress")),
            ("unknown consensus key", "\"window\": 400", "\"window\": 400, \"windows\": 400",
             .unknownField(path: "consensus", key: "windows")),
            ("validator id out of order", "\"id\": 1", "\"id\": 5", .validatorIDOutOfOrder(position: 1, id: 5)),
            ("validator key not hex", v1, "zz", .invalidValidatorKey(id: 1, reason: "not a hexadecimal string of even length")),
            ("validator key low order", v1, String(repeating: "0", count: 64),
             .invalidValidatorKey(id: 1, reason: "public key is not a valid Ed25519 point (non-canonical, off-curve or low-order)")),
            ("duplicate validator key", v1, v0, .duplicateValidatorKey(id: 1, otherID: 0)),
            ("p2p address without port", "\"127.0.0.1:26601\"", "\"127.0.0.1\"",
             .invalidNetworkAddress(id: 1, field: "p2p_address", value: "127.0.0.1", reason: "missing ':port'")),
            ("p2p port 0", "\"127.0.0.1:26601\"", "\"127.0.0.1:0\"",
             .invalidNetworkAddress(id: 1, field: "p2p_address", value: "127.0.0.1:0", reason: "port must be 1...65535 without leading zeros")),
            ("p2p port too big", "\"127.0.0.1:26601\"", "\"127.0.0.1:65536\"",
             .invalidNetworkAddress(id: 1, field: "p2p_address", value: "127.0.0.1:65536", reason: "port must be 1...65535 without leading zeros")),
            ("unbracketed IPv6", "\"127.0.0.1:26601\"", "\"::1:26601\"",
             .invalidNetworkAddress(id: 1, field: "p2p_address", value: "::1:26601", reason: "host may contain only letters, digits, '.' and '-' (IPv6 needs brackets)")),
            ("bad rpc address", "\"127.0.0.1:26701\"", "\"127.0.0.1:x\"",
             .invalidNetworkAddress(id: 1, field: "rpc_address", value: "127.0.0.1:x", reason: "port must be decimal digits")),
            ("duplicate p2p address", "\"127.0.0.1:26601\"", "\"127.0.0.1:26600\"",
             .duplicateNetworkAddress(id: 1, otherID: 0, address: "127.0.0.1:26600")),
            ("mistyped account address", a0, String(a0.dropLast()) + "q",
             .invalidAccountAddress(index: 0, error: .invalidChecksum)),
            ("duplicate account", a1, a0, .duplicateAccount(index: 1, firstIndex: 0, address: a0)),
            ("balance with leading zero", "\"250000\"", "\"0250000\"", .invalidBalance(index: 2, value: "0250000")),
            ("negative balance", "\"250000\"", "\"-250000\"", .invalidBalance(index: 2, value: "-250000")),
            ("zero balance", "\"250000\"", "\"0\"", .invalidBalance(index: 2, value: "0")),
            ("balance above UInt64.max", "\"250000\"", "\"18446744073709551616\"",
             .invalidBalance(index: 2, value: "18446744073709551616")),
            ("balance in exponent form", "\"250000\"", "\"2.5e5\"", .invalidBalance(index: 2, value: "2.5e5")),
            ("balances overflow in sum", "\"1000000000000\"", "\"18446744073709551615\"", .totalSupplyOverflow),
            ("window not a multiple", "\"window\": 400", "\"window\": 450",
             .invalidConsensusParameter(name: "window", value: 450, requirement: "a multiple of checkpoint_interval (100), at least twice it, and at most 100000")),
            ("window below twice the interval", "\"window\": 400", "\"window\": 100",
             .invalidConsensusParameter(name: "window", value: 100, requirement: "a multiple of checkpoint_interval (100), at least twice it, and at most 100000")),
            ("checkpoint interval 0", "\"checkpoint_interval\": 100", "\"checkpoint_interval\": 0",
             .invalidConsensusParameter(name: "checkpoint_interval", value: 0, requirement: "between 1 and 10000")),
            ("batch delay 0", "\"batch_delay_ms\": 20", "\"batch_delay_ms\": 0",
             .invalidConsensusParameter(name: "batch_delay_ms", value: 0, requirement: "between 1 and 60000")),
            ("view-change timeout not above batch delay", "\"view_change_timeout_ms\": 2000", "\"view_change_timeout_ms\": 20",
             .invalidConsensusParameter(name: "view_change_timeout_ms", value: 20, requirement: "greater than batch_delay_ms (20) and at most 600000")),
            ("max batch txs 0", "\"max_batch_txs\": 1000", "\"max_batch_txs\": 0",
             .invalidConsensusParameter(name: "max_batch_txs", value: 0, requirement: "between 1 and 8192")),
            ("max batch txs above the hard cap", "\"max_batch_txs\": 1000", "\"max_batch_txs\": 9000",
             .invalidConsensusParameter(name: "max_batch_txs", value: 9000, requirement: "between 1 and 8192")),
            ("max batch bytes below one transaction", "\"max_batch_bytes\": 1048576", "\"max_batch_bytes\": 100",
             .invalidConsensusParameter(name: "max_batch_bytes", value: 100, requirement: "between 489 (one largest transaction) and 4194304")),
            ("clock drift 0", "\"max_clock_drift_ms\": 5000", "\"max_clock_drift_ms\": 0",
             .invalidConsensusParameter(name: "max_clock_drift_ms", value: 0, requirement: "between 1 and 600000")),
        ]
        for (name, target, replacement, expected) in rows {
            let text = Self.exampleText
            XCTAssertTrue(text.contains(target), "row '\(name)' does not apply to the example")
            let modified = text.replacingOccurrences(of: target, with: replacement, options: [], range: text.range(of: target))
            let error = thrownError { () throws(GenesisError) in try load(modified) }
            XCTAssertEqual(error, expected, name)
        }
    }

    func testMalformedJSONIsRefused() {
        for (text, fragment) in [
            ("{", "top level"), ("[]", "top level"),
            (Self.exampleText.replacingOccurrences(of: "\"test_network\": true,", with: ""), "test_network"),
            (Self.exampleText.replacingOccurrences(of: "\"250000\"", with: "250000"), "accounts[2].balance"),
        ] {
            let error = thrownError { () throws(GenesisError) in try load(text) }
            guard case .invalidJSON(let reason) = error else { XCTFail("\(String(describing: error))"); continue }
            XCTAssertTrue(reason.contains(fragment), reason)
        }
    }

    func makeValidators(_ n: Int) -> [Validator] {
        (0..<n).map { i in
            Validator(id: ReplicaID(i), publicKey: Fixtures.key(UInt8(100 + i)).publicKey, p2pAddress: "node\(i).example:26600")
        }
    }

    func testAnyValidatorCountFromFourToTheMaximumIsAccepted() throws {
        for n in [0, 1, 2, 3, 101] {
            let error = thrownError { () throws(GenesisError) in
                try Genesis(chainID: "c", genesisTimeMs: 0, validators: makeValidators(n), accounts: [], consensus: .testDefaults, isTestNetwork: true)
            }
            XCTAssertEqual(error, .invalidValidatorCount(count: n, maximum: 100), "n = \(n)")
        }
        for (n, f, quorum) in [(4, 1, 3), (5, 1, 4), (6, 1, 4), (7, 2, 5), (8, 2, 6), (10, 3, 7), (100, 33, 67)] {
            let g = try Genesis(chainID: "c", genesisTimeMs: 0, validators: makeValidators(n), accounts: [], consensus: .testDefaults, isTestNetwork: true)
            XCTAssertEqual(g.f, f, "n = \(n)")
            XCTAssertEqual(g.quorum, quorum, "n = \(n)")
            XCTAssertEqual(g.weakQuorum, f + 1, "n = \(n)")
        }
    }

    func testUnreadableAndOversizedFilesAreRefused() {
        let error = thrownError { () throws(GenesisError) in try Genesis.load(from: "/nonexistent/genesis.json") }
        guard case .unreadableFile(let path, _) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(path, "/nonexistent/genesis.json")
        let huge = [UInt8](repeating: UInt8(ascii: " "), count: Limits.genesisFileMaxBytes + 1)
        XCTAssertEqual(
            thrownError { () throws(GenesisError) in try Genesis.load(json: huge) },
            .fileTooLarge(size: huge.count, maximum: Limits.genesisFileMaxBytes))
    }
}
