// Full nodes as real processes: a new full node catches up from genesis, follows live blocks, serves status and blocks,
// relays transactions to the validators, and catches up again after its own restart and across a validator's crash;
// the wallet works against it exactly as against a validator.
import Foundation
import LedgerCore
import LedgerCrypto
import Logging
import Node
import P2P
import PBFT
import TestSupport
import XCTest

final class FullNodeTests: XCTestCase {
    func testAFullNodeCatchesUpFollowsServesAndRelays() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<net.count))
        // History before the full node exists: more than a checkpoint interval (10), so catch-up crosses checkpoints.
        for _ in 0..<25 { try await net.submitTransfer(to: 0) }
        try await net.waitCommitted([0, 1, 2, 3])
        let full = try net.addFullNode()
        try net.start(full)
        try await net.waitCommitted([full], seconds: 30)
        let status = try await net.status(full)
        XCTAssertEqual(status["role"] as? String, "full")
        XCTAssertTrue(status["node_id"] is NSNull, "a full node has no validator id: \(status)")
        XCTAssertEqual(status["peers"] as? Int, 4, "it dials every validator")
        // Live blocks, submitted to a validator: pushed to the full node.
        for _ in 0..<5 { try await net.submitTransfer(to: 1) }
        try await net.waitCommitted([full, 0, 1, 2, 3])
        // Relayed: submitted to the full node, committed by the validators.
        for _ in 0..<5 {
            let r = try await net.submitTransfer(to: full)
            XCTAssertNotNil(r["result"], "the full node accepts a transfer for relay: \(r)")
        }
        try await net.waitCommitted([0, 1, 2, 3, full])
        let height = try await net.height(0)
        try await net.waitUntil("the full node at the validators' height", seconds: 20) { try await net.height(full) >= height }
        let atValidator = try await net.hashes(0, upTo: height)
        let atFull = try await net.hashes(full, upTo: height)
        XCTAssertEqual(atFull, atValidator, "the full node holds the same chain")
        // A commit certificate of a block the full node fetched by state transfer is served like a validator's.
        let commit = try await net.call(full, "commit", "{\"height\":\"3\"}")
        XCTAssertNotNil((commit["result"] as? [String: Any])?["certificate"], "\(commit)")
        XCTAssertFalse(net.log(full).contains("critical"), "no critical line in the full node's log")
        let metrics = try await net.get(0, "/metrics").body
        XCTAssertTrue(metrics.contains("ledger_p2p_full_nodes_connected 1"), "the validator reports its full node")
    }

    func testAFullNodeCatchesUpAfterItsRestartAndFollowsAcrossAValidatorCrash() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<net.count))
        let full = try net.addFullNode()
        try net.start(full)
        try await net.waitUntil("the full node's RPC answers", seconds: 20) { (try? await net.status(full)) != nil }
        for _ in 0..<3 { try await net.submitTransfer(to: full) }
        try await net.waitCommitted([0, 1, 2, 3, full])
        // Down while the chain moves on; back, it catches up.
        try net.kill9(full)
        for _ in 0..<15 { try await net.submitTransfer(to: 2) }
        try await net.waitCommitted([0, 1, 2, 3])
        try net.start(full)
        try await net.waitCommitted([full], seconds: 30)
        // A backup crashes (SIGKILL): the other three still commit and the full node still follows and relays.
        try net.kill9(3)
        for _ in 0..<5 { try await net.submitTransfer(to: full) }
        try await net.waitCommitted([0, 1, 2, full], seconds: 40)
        // The primary crashes too late to matter for safety: with f = 1 the chain needs 3, so bring 3 back first.
        try net.start(3)
        try await net.waitCommitted([3], seconds: 40)
        let height = try await net.height(full)
        let atValidator = try await net.hashes(3, upTo: height)
        let atFull = try await net.hashes(full, upTo: height)
        XCTAssertEqual(atFull, atValidator)
    }

    /// A hostile full node (a real P2P connection with its own key) that asks for blocks as fast as it can and sends a
    /// consensus message: the validator answers at most its rate of block requests, refuses the vote, counts both on
    /// /metrics, and keeps committing.
    func testAFullNodeThatFloodsBlockRequestsIsHeldToItsRate() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<net.count))
        for _ in 0..<3 { try await net.submitTransfer(to: 0) }
        try await net.waitCommitted([0])
        let genesis = net.result.genesis
        let key = SigningKey.generate()
        var logger = Logger(label: "hostile-full-node")
        logger.logLevel = .critical
        let identity = try NetworkIdentity(
            chainID: genesis.chainID, genesisHash: genesis.genesisHash, localID: PeerID(fullNodeKey: key.publicKey),
            signingKey: key, validators: Dictionary(uniqueKeysWithValues: genesis.validators.map { (PeerID($0.id.index), $0.publicKey) }))
        let network = try PeerNetwork(identity: identity, listenAddress: PeerAddress(host: "127.0.0.1", port: 0), logger: logger)
        try network.startDialOnly()
        defer { Task { await network.shutdown() } }
        try network.connect(to: [PeerID(0): PeerAddress(host: "127.0.0.1", port: net.basePort)])
        let responses = Counter()
        let reader = Task {
            for await message in network.messages {
                if message.bytes.first == EnvelopeKind.blockResponse.rawValue { await responses.add() }
                network.consumed(message)
            }
        }
        defer { reader.cancel() }
        try await net.waitUntil("the hostile full node is connected", seconds: 20) { network.metrics.connectedOutbound.contains(PeerID(0)) }
        _ = network.send(Envelope.wrap(.consensus, [1, 2, 3]), to: PeerID(0))
        for id in 0..<200 {
            _ = network.send(Envelope.wrap(.blockRequest, BlockRequest(requestID: UInt64(id), from: Height(1), count: 4).encoded()), to: PeerID(0))
        }
        let refusedLines = { (text: String) in text.split(separator: "\n").filter { $0.contains("refused") }.joined(separator: "\n") }
        do { try await net.waitUntil("node 0 counts the refused requests and the vote", seconds: 20) {
            let text = try await net.get(0, "/metrics").body
            return (PrometheusTextCheck.value(text, "ledger_peer_messages_refused{peer=\"full_nodes\",reason=\"over_rate\"}") ?? 0) >= 100
                && (PrometheusTextCheck.value(text, "ledger_peer_messages_refused{peer=\"full_nodes\",reason=\"not_from_a_validator\"}") ?? 0) >= 1
        } } catch {
            XCTFail("node 0's refusal counts: \(refusedLines(try await net.get(0, "/metrics").body))")
            throw error
        }
        // The answers travel back over the connection and through the reader task: the refusal counts can be on
        // /metrics before the first answer is read, so wait for it (with a deadline) rather than read it once.
        try await net.waitUntil("the hostile full node receives answers within its rate", seconds: 20) { await responses.value > 0 }
        let answered = await responses.value
        XCTAssertLessThanOrEqual(answered, 2 * NodeLimits.fullNodeBlockRequestsPerSecond + 10, "answered \(answered) of 200 requests sent at once")
        for _ in 0..<3 { try await net.submitTransfer(to: 1) }
        try await net.waitCommitted([0, 1, 2, 3])
    }
}

/// A count shared with a reader task.
private actor Counter {
    private(set) var value = 0
    func add() { value += 1 }
}
