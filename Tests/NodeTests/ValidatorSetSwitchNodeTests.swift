// The switch to a new validator set on real ledger-node processes (decision 0038): a full node whose key a change adds
// follows the chain until the boundary, then votes; the chain goes on past the boundary under the new set, and with
// one of the old validators killed afterwards it can only commit if the joiner's votes count. A second change
// removes a validator: it stops voting, says so, and follows the chain as a full node; restarted after missing both
// boundaries it catches up. A third rotates a validator's key without a restart.
import Foundation
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class ValidatorSetSwitchNodeTests: XCTestCase {
    func testJoinRemoveAndRotateOnRealProcesses() async throws {
        let net = try TestnetHarness()  // K = 10, W = 40
        defer { net.stopAll(); net.removeFiles() }
        let joiner = try net.addFullNode()  // node 4
        try net.startAll()
        try net.start(joiner)
        try await net.waitConnected(Array(0..<4))
        for _ in 0..<3 { _ = try await net.submitTransfer(to: 0) }
        try await net.waitCommitted(Array(0..<4) + [joiner])

        // The joiner's hand-over (its key and P2P address), the change, three approvals of four.
        let work = net.home(0) + "/../switch-work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let joinerKey = try NodeKey.load(path: net.home(joiner) + "/node_key.json").signingKey.publicKey
        let joinerConfig = try NodeConfig.load(path: net.home(joiner) + "/config.json")
        let handover = work + "/joiner.json"
        try Data(#"{"public_key": "\#(joinerKey.hex)", "p2p_address": "\#(joinerConfig.p2pListen)"}"#.utf8)
            .write(to: URL(fileURLWithPath: handover))
        let add = work + "/add.json"
        try await net.node(["validators", "change", "new", "--out", add, "--genesis", net.home(0) + "/genesis.json", "--epoch", "0",
                        "--add-from", handover])
        for i in 0..<3 { try await net.node(["validators", "change", "approve", add, "--home", net.home(i)]) }
        let accepted = try await net.node(["validators", "change", "submit", add, "--rpc", net.rpcURL(1).absoluteString])
        XCTAssertTrue(accepted.contains("accepted in block"), accepted)
        let boundary = try await net.pendingBoundary(nodes: Array(0..<4))

        // Transfers carry the chain past the boundary; every node, the joiner too, gets there.
        try await net.waitUntil("every node past the boundary \(boundary) by 10 blocks", seconds: 180) {
            _ = try? await net.submitTransfer(to: 0)
            for i in Array(0..<4) + [joiner] { guard let h = try? await net.height(i), h >= boundary + 10 else { return false } }
            return true
        }
        let status = try await net.status(joiner)
        XCTAssertEqual(status["role"] as? String, "validator", "\(status)")
        XCTAssertEqual(status["node_id"] as? Int, 4, "\(status)")
        XCTAssertTrue(net.log(joiner).contains("this node's key joined the validator set"), "joiner log")
        for i in 0..<4 { XCTAssertTrue(net.log(i).contains("validator set changed: voting in the new epoch"), "node \(i)") }
        // A block above the boundary is certified by the new set: signers are indices of five validators.
        let commit = try await net.call(0, "commit", "{\"height\":\"\(boundary + 5)\"}")
        let signers = try XCTUnwrap((commit["result"] as? [String: Any])?["signatures"] as? [[String: Any]], "\(commit)")
            .compactMap { $0["validator"] as? Int }
        XCTAssertGreaterThanOrEqual(Set(signers).count, 4, "a quorum of five is four: \(signers)")

        // With validator 3 killed, only {0, 1, 2, joiner} are left: four of five, the quorum. Blocks commit only if the
        // joiner votes.
        try net.kill9(3)
        let before = try await net.height(0)
        try await net.waitUntil("blocks commit with validator 3 down (the joiner's votes count)", seconds: 90) {
            _ = try? await net.submitTransfer(to: 1)
            return (try? await net.height(0)).map { $0 >= before + 5 } ?? false
        }
        try await net.assertIdenticalBlocks([0, 1, 2, joiner])

        // Remove validator 3 (the one down), approved by four of the five, the joiner among them.
        let genesisKeys = net.result.genesis.validators.map(\.publicKey)
        let remove = work + "/remove.json"
        try await net.node(["validators", "change", "new", "--out", remove, "--genesis", net.home(0) + "/genesis.json", "--epoch", "1",
                        "--remove", genesisKeys[3].hex])
        for i in [0, 1, 2, joiner] { try await net.node(["validators", "change", "approve", remove, "--home", net.home(i)]) }
        let removed = try await net.node(["validators", "change", "submit", remove, "--rpc", net.rpcURL(0).absoluteString])
        XCTAssertTrue(removed.contains("accepted in block"), removed)
        let second = try await net.pendingBoundary(nodes: [0, 1, 2, joiner])
        try await net.waitUntil("the four past the second boundary \(second)", seconds: 180) {
            _ = try? await net.submitTransfer(to: 2)
            for i in [0, 1, 2, joiner] { guard let h = try? await net.height(i), h >= second + 5 else { return false } }
            return true
        }
        let answer = try await net.call(joiner, "validators")
        let set = try XCTUnwrap(answer["result"] as? [String: Any])
        XCTAssertEqual(set["epoch"] as? String, "2", "\(set)")
        XCTAssertEqual(set["count"] as? Int, 4, "\(set)")
        // The joiner moved from index 4 to 3 (ids are positions in the set).
        let renumbered = try await net.status(joiner)
        XCTAssertEqual(renumbered["node_id"] as? Int, 3, "\(renumbered)")

        // The removed validator comes back: it catches up and follows without voting.
        try net.start(3)
        do {
            try await net.waitUntil("the removed validator follows the chain", seconds: 120) {
                _ = try? await net.submitTransfer(to: 0)
                guard let h3 = try? await net.height(3), let h0 = try? await net.height(0) else { return false }
                return h3 > second && h3 + 3 >= h0
            }
        } catch {
            print("node 3's log:\n" + String(net.log(3).suffix(8000)))
            throw error
        }
        let follower = try await net.status(3)
        XCTAssertEqual(follower["role"] as? String, "full", "\(follower)")
        try await net.assertIdenticalBlocks([0, 1, 2, 3, joiner])

        // Rotate validator 0's key without a restart: its operator places the new key beside the old one, three of
        // the four approve, and at the boundary node 0 signs with the new key. With node 1 killed after it, three
        // are left — the quorum — so blocks commit only if node 0's new-key votes count.
        let newKey = NodeKey.generate()
        try newKey.write(path: net.home(0) + "/" + NodeHome.nextKeyFileName)
        let rotate = work + "/rotate.json"
        try await net.node(["validators", "change", "new", "--out", rotate, "--genesis", net.home(0) + "/genesis.json",
                            "--epoch", "2", "--rotate", genesisKeys[0].hex + ":" + newKey.signingKey.publicKey.hex])
        for i in [1, 2, joiner] { try await net.node(["validators", "change", "approve", rotate, "--home", net.home(i)]) }
        let rotated = try await net.node(["validators", "change", "submit", rotate, "--rpc", net.rpcURL(2).absoluteString])
        XCTAssertTrue(rotated.contains("accepted in block"), rotated)
        let third = try await net.pendingBoundary(nodes: [0, 1, 2, joiner])
        try await net.waitUntil("the four past the third boundary \(third)", seconds: 180) {
            _ = try? await net.submitTransfer(to: 2)
            for i in [0, 1, 2, joiner] { guard let h = try? await net.height(i), h >= third + 3 else { return false } }
            return true
        }
        XCTAssertTrue(net.log(0).contains("this validator's key was rotated"), "node 0 log")
        let rotatedAnswer = try await net.call(2, "validators")
        let rotatedSet = try XCTUnwrap(rotatedAnswer["result"] as? [String: Any])
        XCTAssertEqual(rotatedSet["epoch"] as? String, "3", "\(rotatedSet)")
        let first = try XCTUnwrap((rotatedSet["validators"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["public_key"] as? String, newKey.signingKey.publicKey.hex, "\(first)")
        try net.kill9(1)
        let beforeKill = try await net.height(0)
        try await net.waitUntil("blocks commit with node 1 down (node 0's new key counts)", seconds: 90) {
            _ = try? await net.submitTransfer(to: 2)
            return (try? await net.height(2)).map { $0 >= beforeKill + 5 } ?? false
        }
        try await net.assertIdenticalBlocks([0, 2, joiner])

        // A light client that trusts only its genesis file: `wallet tx --genesis` verifies a transfer of epoch 3
        // through the three changes (each change's block certified by the set before it, each accepted by the rule).
        let sent = try await net.submitTransfer(to: 2)
        let txHash = try XCTUnwrap((sent["result"] as? [String: Any])?["hash"] as? String, "\(sent)")
        let genesisFile = net.home(0) + "/genesis.json"
        var verified = WalletRun(status: -1, stdout: "", stderr: "")
        try await net.waitUntil("the epoch-3 transfer verified from genesis", seconds: 30) {
            verified = (try? TestnetHarness.runWallet(
                ["tx", txHash, "--json", "--genesis", genesisFile, "--node", net.rpcURL(2).absoluteString], environment: [:])) ?? verified
            return (verified.json?["verification"] as? [String: Any])?["verified"] as? Bool == true
        }
        let verification = try XCTUnwrap(verified.json?["verification"] as? [String: Any], verified.summary)
        XCTAssertEqual(verification["validators"] as? Int, 4, verified.summary)
        XCTAssertTrue((verification["validator_set_from"] as? String ?? "").contains("3 validator-set change(s) verified"), verified.summary)
        // The wrong genesis (another chain's set) verifies nothing: exit 7.
        let exampleGenesis = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("genesis/example.json").path
        let foreign = try TestnetHarness.runWallet(
            ["tx", txHash, "--json", "--genesis", exampleGenesis, "--node", net.rpcURL(2).absoluteString], environment: [:])
        XCTAssertEqual(foreign.status, 7, foreign.summary)
        // Operators see the epoch and the set's size on /metrics.
        let metrics = try await net.get(2, "/metrics")
        XCTAssertTrue(metrics.body.contains("ledger_epoch 3"), metrics.body.split(separator: "\n").filter { $0.contains("epoch") }.joined(separator: "\n"))
        XCTAssertTrue(metrics.body.contains("ledger_validators 4"))
    }
}
