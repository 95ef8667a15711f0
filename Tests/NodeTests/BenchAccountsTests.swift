// Checks the benchmark account derivation: pinned seeds (computed independently with Python's hashlib.blake2b),
// distinct keys per index and seed, and that `ledger-node testnet --bench-accounts` funds exactly the keys the
// load generator derives.
import Foundation
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class BenchAccountsTests: XCTestCase {
    private var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "benchaccounts-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testSeedsArePinnedToTheDocumentedDerivation() {
        // hashlib.blake2b(b"ledger-bench/account/v1" + S.to_bytes(8, "big") + i.to_bytes(8, "big"), digest_size=32)
        XCTAssertEqual(Hex.encode(BenchAccounts.seed(benchSeed: 1, index: 0)),
                       "59f6dc5002db1c1cc669fb12b9597c091634bde1a1419f6852c16b19c4a17650")
        XCTAssertEqual(Hex.encode(BenchAccounts.seed(benchSeed: 42, index: 7)),
                       "ae8b5dfb748b4b51aded1961f3c169e5a6bf747876542bea0800a9e2db2a5a08")
    }

    func testKeysDifferPerIndexAndPerSeedAndRepeatForTheSameInput() {
        let a = BenchAccounts.signingKey(benchSeed: 5, index: 3).publicKey
        XCTAssertEqual(a, BenchAccounts.signingKey(benchSeed: 5, index: 3).publicKey)
        XCTAssertNotEqual(a, BenchAccounts.signingKey(benchSeed: 5, index: 4).publicKey)
        XCTAssertNotEqual(a, BenchAccounts.signingKey(benchSeed: 6, index: 3).publicKey)
        let many = Set((0..<200).map { BenchAccounts.signingKey(benchSeed: 9, index: $0).publicKey })
        XCTAssertEqual(many.count, 200)
    }

    func testTestnetFundsTheKeysTheBenchDerives() throws {
        var generator = TestnetGenerator(validators: 4, outputDirectory: dir, basePort: 43000)
        generator.benchAccounts = 5
        generator.benchSeed = 77
        let result = try generator.generate()
        let funded = Dictionary(uniqueKeysWithValues: result.genesis.accounts.map { ($0.address, $0.balance) })
        XCTAssertEqual(funded.count, 6, "the faucet plus five bench accounts")
        for i in 0..<5 {
            let address = Address(publicKey: BenchAccounts.signingKey(benchSeed: 77, index: i).publicKey)
            XCTAssertEqual(funded[address], BenchAccounts.balance, "bench account \(i)")
        }
        XCTAssertNil(funded[Address(publicKey: BenchAccounts.signingKey(benchSeed: 77, index: 5).publicKey)])
        let loaded = try NodeHome.load(result.homes[1])
        XCTAssertEqual(loaded.genesis.genesisHash, result.genesis.genesisHash)
    }

    func testTooManyBenchAccountsIsRefusedWithTheLimit() {
        var generator = TestnetGenerator(validators: 4, outputDirectory: dir, basePort: 43100)
        generator.benchAccounts = BenchAccounts.maxAccounts + 1
        XCTAssertThrowsError(try generator.generate()) {
            XCTAssertTrue("\($0)".contains("\(BenchAccounts.maxAccounts)"), "\($0)")
        }
    }
}
