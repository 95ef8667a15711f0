// The `wallet` executable end to end against a real four-node testnet: keys, faucet funding, transfers seen on every node,
// wrong passphrase, insufficient funds, unreachable node, `--json` output, and `wallet tx` verification.
import Foundation
import LedgerCore
import LedgerCrypto
import XCTest

final class WalletEndToEndTests: XCTestCase {
    private var keystore = ""

    override func setUp() {
        keystore = NSTemporaryDirectory() + "wallet-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))/keys"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: (keystore as NSString).deletingLastPathComponent)
    }

    private func env(_ net: TestnetHarness?, node: Int = 0, passphrase: String = "e2e-pass") -> [String: String] {
        var e = ["LEDGER_KEYSTORE": keystore, "LEDGER_PASSPHRASE": passphrase]
        if let net { e["LEDGER_NODE"] = net.rpcURL(node).absoluteString }
        return e
    }

    @discardableResult
    private func wallet(_ args: [String], _ environment: [String: String], expect status: Int32 = 0, stdin: String? = nil,
                        file: StaticString = #filePath, line: UInt = #line) throws -> WalletRun {
        let run = try TestnetHarness.runWallet(args, environment: environment, stdin: stdin, file: file, line: line)
        XCTAssertEqual(run.status, status, "wallet \(args.joined(separator: " "))\n\(run.summary)", file: file, line: line)
        return run
    }

    private func startNetwork() async throws -> TestnetHarness {
        let net = try TestnetHarness()
        try net.startAll()
        try await net.waitConnected(Array(0..<net.count))
        return net
    }

    /// Imports the faucet and creates alice and bob (fast KDF); returns their addresses.
    private func makeKeys(_ net: TestnetHarness) throws -> (faucet: String, alice: String, bob: String) {
        let e = env(net)
        let faucet = try wallet(["keys", "import", "faucet", "--seed-file", net.result.faucetKeyPath, "--kdf", "interactive", "--json"], e)
        XCTAssertEqual(faucet.json?["address"] as? String, Address(publicKey: net.result.faucetKey.publicKey).string)
        let alice = try wallet(["keys", "new", "alice", "--kdf", "interactive", "--json"], e).json?["address"] as? String ?? ""
        let bob = try wallet(["keys", "new", "bob", "--kdf", "interactive", "--json"], e).json?["address"] as? String ?? ""
        XCTAssertTrue(alice.hasPrefix("ldg1") && bob.hasPrefix("ldg1") && alice != bob)
        return (Address(publicKey: net.result.faucetKey.publicKey).string, alice, bob)
    }

    /// Synchronous on purpose: harness values hold keys (SIMD storage) that must stay out of async frames in debug builds.
    private func genesisPath(_ net: TestnetHarness) -> String { net.result.homes[0] + "/genesis.json" }

    /// genesis/example.json of this repository (another chain and validator set).
    private func exampleGenesisPath() -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("genesis/example.json").path
    }

    private func balance(_ who: String, on node: Int, _ net: TestnetHarness) throws -> UInt64? {
        let run = try TestnetHarness.runWallet(["balance", who, "--json", "--node", net.rpcURL(node).absoluteString], environment: env(net))
        return (run.json?["balance"] as? String).flatMap { UInt64($0) }
    }

    private func waitBalances(_ expected: [String: UInt64], _ net: TestnetHarness) async throws {
        try await net.waitUntil("balances \(expected) on every node", seconds: 15) {
            for i in 0..<net.count {
                for (who, amount) in expected where (try? balance(who, on: i, net)) != amount { return false }
            }
            return true
        }
    }

    func testFundTransferAndSeeBalancesOnEveryNode() async throws {
        let net = try await startNetwork()
        defer { net.stopAll(); net.removeFiles() }
        let keys = try makeKeys(net)

        // Fund alice from the faucet; wait for the commit (default).
        let funded = try wallet(["transfer", "--from", "faucet", "--to", "alice", "--amount", "1000", "--json"], env(net))
        let fundJSON = try XCTUnwrap(funded.json, funded.summary)
        XCTAssertEqual(fundJSON["status"] as? String, "committed")
        XCTAssertEqual(fundJSON["to"] as? String, keys.alice)
        XCTAssertGreaterThan(UInt64(fundJSON["height"] as? String ?? "") ?? 0, 0)
        XCTAssertEqual((fundJSON["hash"] as? String)?.count, 64)
        try await waitBalances(["alice": 1000], net)

        // alice pays bob through another node; every node sees both balances change.
        let pay = try wallet(["transfer", "--from", "alice", "--to", keys.bob, "--amount", "300", "--memo", "lunch", "--json",
                              "--node", net.rpcURL(2).absoluteString], env(net))
        XCTAssertEqual(pay.json?["status"] as? String, "committed", pay.summary)
        try await waitBalances(["alice": 700, "bob": 300], net)
        XCTAssertEqual(try wallet(["nonce", "alice"], env(net)).stdout.trimmingCharacters(in: .whitespacesAndNewlines), "1")
        XCTAssertEqual(try wallet(["balance", "bob"], env(net)).stdout.trimmingCharacters(in: .whitespacesAndNewlines), "300")

        // Wrong passphrase: exit 5, a clear message, nothing sent.
        let wrong = try wallet(["transfer", "--from", "alice", "--to", "bob", "--amount", "1"], env(net, passphrase: "not-it"), expect: 5)
        XCTAssertTrue(wrong.stderr.contains("wrong passphrase"), wrong.summary)
        // Insufficient funds: refused before signing, with the balance.
        let poor = try wallet(["transfer", "--from", "bob", "--to", "alice", "--amount", "301", "--json"], env(net), expect: 3)
        XCTAssertTrue(poor.stderr.contains("300"), poor.summary)
        XCTAssertEqual((poor.json?["error"] as? [String: Any])?["kind"] as? String, "insufficient_funds")
        // A typo in the address: exit 1 naming the checksum.
        var typo = Array(keys.bob)
        typo[12] = typo[12] == "q" ? "p" : "q"
        let bad = try wallet(["transfer", "--from", "alice", "--to", String(typo), "--amount", "1"], env(net), expect: 1)
        XCTAssertTrue(bad.stderr.contains("checksum"), bad.summary)
        try await waitBalances(["alice": 700, "bob": 300], net)

        // Status and block as JSON.
        let status = try XCTUnwrap(try wallet(["status", "--json"], env(net)).json)
        XCTAssertEqual(status["chain_id"] as? String, net.chainID)
        let block = try XCTUnwrap(try wallet(["block", "--json"], env(net)).json)
        XCTAssertNotNil((block["header"] as? [String: Any])?["height"])
        let list = try XCTUnwrap(try wallet(["keys", "list", "--json"], env(net)).json)
        XCTAssertEqual((list["keys"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["alice", "bob", "faucet"])
    }

    /// Needs the node's `tx` and `commit` methods (docs/rpc.md) for the proof and certificate.
    func testTxIsVerifiedLocallyAfterANoWaitTransfer() async throws {
        let net = try await startNetwork()
        defer { net.stopAll(); net.removeFiles() }
        _ = try makeKeys(net)
        let sent = try wallet(["transfer", "--from", "faucet", "--to", "bob", "--amount", "5", "--no-wait", "--json"], env(net))
        let hash = try XCTUnwrap(sent.json?["hash"] as? String, sent.summary)
        XCTAssertEqual(sent.json?["status"] as? String, "pending")
        var last = WalletRun(status: -1, stdout: "", stderr: "")
        try await net.waitUntil("tx \(hash) committed", seconds: 15) {
            last = (try? TestnetHarness.runWallet(["tx", hash, "--json"], environment: env(net))) ?? last
            let status = last.json?["status"] as? String
            return status == "committed" || status == "failed"
        }
        XCTAssertEqual(last.json?["status"] as? String, "committed", last.summary)
        let verification = last.json?["verification"] as? [String: Any]
        XCTAssertEqual(verification?["verified"] as? Bool, true, last.summary)
        XCTAssertEqual(last.status, 0, last.summary)
        // Against the genesis file as the trusted validator set, from another node.
        let pinned = try TestnetHarness.runWallet(
            ["tx", hash, "--json", "--genesis", genesisPath(net), "--node", net.rpcURL(3).absoluteString],
            environment: env(net))
        XCTAssertEqual((pinned.json?["verification"] as? [String: Any])?["verified"] as? Bool, true, pinned.summary)
        // Against a validator set that did not sign (the repository's example genesis): NOT verified, exit 7.
        let foreign = try TestnetHarness.runWallet(["tx", hash, "--json", "--genesis", exampleGenesisPath()], environment: env(net))
        XCTAssertEqual(foreign.status, 7, foreign.summary)
        XCTAssertEqual((foreign.json?["verification"] as? [String: Any])?["verified"] as? Bool, false, foreign.summary)
        // An unknown hash is not found (exit 6) rather than "verified".
        let unknown = try TestnetHarness.runWallet(["tx", String(repeating: "ab", count: 32), "--json"], environment: env(net))
        XCTAssertEqual(unknown.status, 6, unknown.summary)
    }

    func testUnreachableNodeAndWrongPassphraseWithoutANetwork() throws {
        // A port nothing listens on (below the harness's range, never handed out).
        let url = "http://127.0.0.1:19999/"
        let run = try wallet(["status", "--node", url], env(nil), expect: 2)
        XCTAssertTrue(run.stderr.contains(url) && run.stderr.contains("unreachable"), run.summary)
        let asJSON = try wallet(["--json", "--node", url, "balance", "ldg1" + String(repeating: "q", count: 58)], env(nil), expect: 1)
        XCTAssertNotNil(asJSON.json?["error"], asJSON.summary)
        try wallet(["keys", "new", "carol", "--kdf", "interactive"], env(nil))
        let wrong = try wallet(["keys", "export", "carol"], env(nil, passphrase: "nope"), expect: 5)
        XCTAssertTrue(wrong.stderr.contains("wrong passphrase"), wrong.summary)
        XCTAssertEqual(wrong.stdout, "")
        let exported = try wallet(["keys", "export", "carol", "--json"], env(nil))
        XCTAssertEqual((exported.json?["seed"] as? String)?.count, 64)
        // No passphrase source at all: a clear error, exit 5.
        let none = try wallet(["keys", "export", "carol"], ["LEDGER_KEYSTORE": keystore], expect: 5)
        XCTAssertTrue(none.stderr.contains("LEDGER_PASSPHRASE"), none.summary)
        let balance = try wallet(["balance", "carol", "--node", url, "--json"], env(nil), expect: 2)
        XCTAssertEqual((balance.json?["error"] as? [String: Any])?["kind"] as? String, "node_unreachable")
    }
}
