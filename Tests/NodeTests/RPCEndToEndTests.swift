// Checks the JSON-RPC server of real ledger-node processes (one shared four-node testnet): every method and its error paths, spec batch cases, hostile bodies, WebSocket subscriptions with a slow client, and /metrics.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerCore
import LedgerCrypto
import PBFT
import RPC
import TestSupport
import XCTest

final class RPCEndToEndTests: XCTestCase {
    nonisolated(unsafe) private static var shared: TestnetHarness?
    nonisolated(unsafe) private static var ready = false

    override class func setUp() {
        super.setUp()
        do {
            let net = try TestnetHarness()
            try net.startAll()
            shared = net
        } catch {
            shared = nil
        }
    }

    override class func tearDown() {
        shared?.stopAll()
        shared?.removeFiles()
        shared = nil
        super.tearDown()
    }

    private func network() async throws -> TestnetHarness {
        let net = try XCTUnwrap(Self.shared, "testnet did not start (is ledger-node built?)")
        if !Self.ready {
            try await net.waitConnected(Array(0..<4))
            Self.ready = true
        }
        return net
    }

    private func code(_ r: [String: Any]) -> Int? { (r["error"] as? [String: Any])?["code"] as? Int }
    private func data(_ r: [String: Any]) -> [String: Any]? { (r["error"] as? [String: Any])?["data"] as? [String: Any] }

    /// A new faucet transfer (the next nonce), not submitted.
    private func nextTransfer(_ net: TestnetHarness, amount: UInt64 = 1) throws -> Transaction {
        defer { net.faucetNonce += 1 }
        return try Transaction.signed(chainID: net.chainID, sender: net.result.faucetKey,
                                      recipient: Address(publicKey: SigningKey.generate().publicKey), amount: amount,
                                      nonce: net.faucetNonce)
    }

    func testEveryMethodAndItsErrorsOnARealNode() async throws {
        let net = try await network()
        let health = try await net.get(1, "/health")
        XCTAssertEqual(health.status, 200)
        let healthResult = try await net.result(1, "health")
        XCTAssertEqual(healthResult.count, 0)

        // Commit a transaction and wait for it through broadcast_tx_commit.
        let tx = try nextTransfer(net, amount: 42)
        let hex = Hex.encode(tx.encoded())
        let committed = try await net.result(1, "broadcast_tx_commit", #"{"tx":"\#(hex)","timeout_ms":"20000"}"#)
        XCTAssertEqual(committed["hash"] as? String, tx.hash.hex)
        XCTAssertEqual(committed["status"] as? String, "committed")
        let height = try XCTUnwrap(committed["height"] as? String)
        // Idempotent resubmission: same hash, same result, no error.
        let again = try await net.result(1, "broadcast_tx_sync", #"{"tx":"\#(hex)"}"#)
        XCTAssertEqual(again["hash"] as? String, tx.hash.hex)
        let againCommit = try await net.result(2, "broadcast_tx_commit", #"{"tx":"\#(hex)"}"#)
        XCTAssertEqual(againCommit["height"] as? String, height)

        let status = try await net.result(1, "status")
        XCTAssertEqual(status["chain_id"] as? String, net.chainID)
        XCTAssertEqual(status["node_id"] as? Int, 1)
        XCTAssertGreaterThanOrEqual(UInt64(status["height"] as? String ?? "") ?? 0, UInt64(height) ?? .max)
        XCTAssertNotNil(status["open_sequences"] as? [Any])
        XCTAssertEqual(status["peers"] as? Int, 3)
        XCTAssertNotNil(UInt64(status["latest_block_time"] as? String ?? ""))
        XCTAssertEqual(status["version"] as? String, SoftwareVersion.current, "the node backend reports its version")

        let netInfo = try await net.result(1, "net_info")
        XCTAssertEqual((netInfo["peers"] as? [[String: Any]])?.count, 3)
        XCTAssertEqual((netInfo["peers"] as? [[String: Any]])?.allSatisfy { $0["connected"] as? Bool == true }, true)
        let genesis = try await net.result(1, "genesis")
        XCTAssertEqual(genesis["chain_id"] as? String, net.chainID)
        XCTAssertEqual(genesis["genesis_hash"] as? String, net.result.genesis.genesisHash.hex)
        let validators = try await net.result(1, "validators")
        XCTAssertEqual((validators["validators"] as? [Any])?.count, 4)
        XCTAssertEqual(validators["quorum"] as? Int, 3)

        let recipient = tx.recipient.string
        let account = try await net.result(3, "account", #"{"address":"\#(recipient)"}"#)
        XCTAssertEqual(account["balance"] as? String, "42", "the transfer is visible on another node")

        // tx with a Merkle proof to the header's tx root, and the commit certificate for that height.
        let lookup = try await net.result(0, "tx", #"{"hash":"\#(tx.hash.hex)"}"#)
        XCTAssertEqual(lookup["status"] as? String, "committed")
        let proof = try XCTUnwrap(lookup["proof"] as? [String: Any])
        let steps = try XCTUnwrap(proof["steps"] as? [[String: Any]]).map {
            Merkle.ProofStep(sibling: try! Digest(hex: $0["sibling"] as! String), siblingIsLeft: $0["sibling_is_left"] as! Bool)
        }
        let root = try Digest(hex: try XCTUnwrap(proof["tx_root"] as? String))
        XCTAssertTrue(Merkle.verify(leaf: tx.hash, proof: steps, root: root))
        let commit = try await net.result(0, "commit", #"{"height":"\#(height)"}"#)
        XCTAssertEqual(commit["hash"] as? String, lookup["block_hash"] as? String)
        let certificate = try CommitCertificate.decode(try XCTUnwrap(Hex.decode(commit["certificate"] as? String ?? "")), replicaCount: 4)
        XCTAssertNoThrow(try certificate.verify(
            scheme: Ed25519ValidatorKeys(publicKeys: net.result.genesis.validators.map(\.publicKey)), context: SigningContext(chainID: net.chainID, epoch: 0)))
        XCTAssertGreaterThanOrEqual((commit["signatures"] as? [Any])?.count ?? 0, 3)

        let block = try await net.result(2, "block", #"{"height":"\#(height)"}"#)
        XCTAssertEqual(block["hash"] as? String, commit["hash"] as? String)
        let byHash = try await net.result(3, "block_by_hash", #"{"hash":"\#(block["hash"] as? String ?? "")"}"#)
        XCTAssertEqual((byHash["header"] as? [String: Any])?["height"] as? String, height)
        let chain = try await net.result(0, "blockchain", #"{"max_height":"\#(height)"}"#)
        XCTAssertEqual(((chain["headers"] as? [[String: Any]])?.first?["header"] as? [String: Any])?["height"] as? String, height)
        let unconfirmed = try await net.result(0, "unconfirmed_txs")
        XCTAssertNotNil(unconfirmed["total"] as? Int)
        let num = try await net.result(0, "num_unconfirmed_txs")
        XCTAssertNotNil(num["count"] as? Int)
        let evidence = try await net.result(0, "evidence")
        XCTAssertEqual(evidence["count"] as? Int, 0, "honest testnet: no equivocation")

        // Error paths.
        let replay = try await net.rpc(1, "broadcast_tx_sync",
            #"{"tx":"\#(Hex.encode(try Transaction.signed(chainID: net.chainID, sender: net.result.faucetKey, recipient: tx.recipient, amount: 7, nonce: tx.nonce).encoded()))"}"#)
        XCTAssertEqual(code(replay), -32010)
        XCTAssertEqual(data(replay)?["reason"] as? String, "nonce_too_low")
        XCTAssertEqual(data(replay)?["got"] as? String, String(tx.nonce))
        XCTAssertEqual(data(replay)?["expected"] as? String, String(net.faucetNonce))
        let poor = try Transaction.signed(chainID: net.chainID, sender: SigningKey.generate(), recipient: tx.recipient, amount: 5, nonce: 0)
        let broke = try await net.rpc(1, "broadcast_tx_sync", #"{"tx":"\#(Hex.encode(poor.encoded()))"}"#)
        XCTAssertEqual(code(broke), -32010)
        XCTAssertEqual(data(broke)?["reason"] as? String, "unknown_sender", "a never-funded key cannot pay")
        let foreign = try Transaction.signed(chainID: "other-chain", sender: net.result.faucetKey, recipient: tx.recipient, amount: 1, nonce: 99)
        let wrongChain = try await net.rpc(1, "broadcast_tx_sync", #"{"tx":"\#(Hex.encode(foreign.encoded()))"}"#)
        XCTAssertEqual(data(wrongChain)?["reason"] as? String, "wrong_chain")
        // A transfer that would be admitted but for its signature (a used nonce is refused before any signature check).
        let unsent = try Transaction.signed(chainID: net.chainID, sender: net.result.faucetKey, recipient: tx.recipient, amount: 1,
                                            nonce: net.faucetNonce)
        var tampered = unsent.encoded()
        tampered[tampered.count - 1] ^= 1
        let badSig = try await net.rpc(1, "broadcast_tx_sync", #"{"tx":"\#(Hex.encode(tampered))"}"#)
        XCTAssertEqual(code(badSig), -32010)
        XCTAssertTrue(["bad_signature", "malformed"].contains(data(badSig)?["reason"] as? String ?? ""), "\(badSig)")
        let missingBlock = try await net.rpc(0, "block", #"{"height":"999999"}"#)
        XCTAssertEqual(code(missingBlock), -32004)
        let missingCommit = try await net.rpc(0, "commit", #"{"height":"999999"}"#)
        XCTAssertEqual(data(missingCommit)?["what"] as? String, "commit")
        let unknownTx = try await net.result(0, "tx", #"{"hash":"\#(Digest.zero.hex)"}"#)
        XCTAssertEqual(unknownTx["status"] as? String, "unknown")
        let badParams = try await net.rpc(0, "account", #"{"address":"nope"}"#)
        XCTAssertEqual(code(badParams), -32602)
        let noMethod = try await net.rpc(0, "does_not_exist")
        XCTAssertEqual(code(noMethod), -32601)
        let ahead = try await net.rpc(0, "broadcast_tx_sync",
            #"{"tx":"\#(Hex.encode(try Transaction.signed(chainID: net.chainID, sender: net.result.faucetKey, recipient: tx.recipient, amount: 1, nonce: net.faucetNonce + 5).encoded()))"}"#)
        XCTAssertEqual(code(ahead), -32010, "a nonce with a gap before it could only fail in a block")
        XCTAssertEqual(data(ahead)?["reason"] as? String, "nonce_gap")
        XCTAssertEqual(data(ahead)?["got"] as? String, String(net.faucetNonce + 5))
        XCTAssertEqual(data(ahead)?["expected"] as? String, String(net.faucetNonce))
        let timeout = try await net.rpc(0, "broadcast_tx_commit",
            #"{"tx":"\#(Hex.encode(try nextTransfer(net).encoded()))","timeout_ms":"1"}"#)
        XCTAssertEqual(code(timeout), -32020, "no block can follow within 1 ms")
        XCTAssertNotNil(data(timeout)?["hash"] as? String)
    }

    /// One sender's consecutive nonces in one JSON-RPC batch are all admitted (the precheck must not call the second
    /// a nonce gap because the first is not admitted yet) and all commit.
    func testASendersConsecutiveNoncesInOneBatchAreAllAdmitted() async throws {
        let net = try await network()
        let txs = try (0..<10).map { _ in try nextTransfer(net) }
        let calls = txs.enumerated().map { i, tx in
            "{\"jsonrpc\":\"2.0\",\"id\":\(i),\"method\":\"broadcast_tx_sync\",\"params\":{\"tx\":\"\(Hex.encode(tx.encoded()))\"}}"
        }
        let (status, body) = try await net.post(1, body: Array("[\(calls.joined(separator: ","))]".utf8))
        XCTAssertEqual(status, 200)
        let answers = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]])
        XCTAssertEqual(answers.count, 10)
        for answer in answers { XCTAssertNotNil(answer["result"], "refused: \(answer)") }
        try await net.waitCommitted([0, 1, 2, 3], seconds: 20)
    }

    func testSpecCasesAndHostileBodiesLeaveTheNodeCommitting() async throws {
        let net = try await network()
        func json(_ bytes: [UInt8]) -> Any? { try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed) }

        let invalidUTF8 = try await net.post(0, body: Array(#"{"jsonrpc":"2.0","id":1,"method":""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#""}"#.utf8))
        XCTAssertEqual(invalidUTF8.status, 200)
        XCTAssertEqual(code(json(invalidUTF8.body) as? [String: Any] ?? [:]), -32700)

        let huge = [UInt8](repeating: UInt8(ascii: " "), count: 10 * 1024 * 1024)
        let tooLarge = try await net.post(0, body: huge, timeout: 30)
        XCTAssertEqual(tooLarge.status, 413)
        let tooLargeBody = json(tooLarge.body) as? [String: Any] ?? [:]
        XCTAssertEqual(code(tooLargeBody), -32600)
        XCTAssertEqual(data(tooLargeBody)?["reason"] as? String, "body_too_large")

        let deep = try await net.post(0, body: Array((String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)).utf8))
        XCTAssertEqual(code(json(deep.body) as? [String: Any] ?? [:]), -32700)

        let bigBatch = "[" + Array(repeating: #"{"jsonrpc":"2.0","id":1,"method":"status"}"#, count: 10_000).joined(separator: ",") + "]"
        let batch = try await net.post(0, body: Array(bigBatch.utf8))
        let batchError = json(batch.body) as? [String: Any] ?? [:]
        XCTAssertTrue([-32029, -32600].contains(code(batchError) ?? 0), "got \(batchError)")
        XCTAssertTrue(["batch_too_large", "body_too_large"].contains(data(batchError)?["reason"] as? String ?? ""))
        let smallEntries = try await net.post(0, body: Array(("[" + Array(repeating: "{}", count: 10_000).joined(separator: ",") + "]").utf8))
        XCTAssertEqual(data(json(smallEntries.body) as? [String: Any] ?? [:])?["reason"] as? String, "batch_too_large")

        let empty = try await net.post(0, body: Array("[]".utf8))
        XCTAssertEqual(code(json(empty.body) as? [String: Any] ?? [:]), -32600)
        let invalidEntries = try await net.post(0, body: Array("[1,2,3]".utf8))
        XCTAssertEqual((json(invalidEntries.body) as? [[String: Any]])?.compactMap(code), [-32600, -32600, -32600])
        let notifications = try await net.post(0, body: Array(#"[{"jsonrpc":"2.0","method":"health"},{"jsonrpc":"2.0","method":"status"}]"#.utf8))
        XCTAssertEqual(notifications.status, 204)
        XCTAssertTrue(notifications.body.isEmpty)

        // The node still answers and still commits.
        let tx = try nextTransfer(net)
        let after = try await net.result(0, "broadcast_tx_commit", #"{"tx":"\#(Hex.encode(tx.encoded()))","timeout_ms":"20000"}"#)
        XCTAssertEqual(after["status"] as? String, "committed")
    }

    func testWebSocketBlocksArriveInOrderAndASlowClientIsDropped() async throws {
        let net = try await network()
        let port = net.rpcPorts[2]
        let startHeight = try await net.height(2)
        let fast = try RawWebSocket(port: port)
        try fast.send(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"blocks","from_height":"1"}}"#)
        let subscribed = try XCTUnwrap(fast.receiveObject())
        XCTAssertNotNil((subscribed["result"] as? [String: Any])?["subscription"] as? String, "\(subscribed)")

        // The slow client: a tiny receive buffer, 16 block subscriptions, and it never reads.
        let slow = try RawWebSocket(port: port, receiveBufferBytes: 2048)
        let subs = (0..<16).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"subscribe","params":{"query":"blocks"}}"# }
        try slow.send("[" + subs.joined(separator: ",") + "]")

        // A reader thread collects the fast client's block heights (replay from 1 first, then live).
        let heights = HeightLog()
        let reader = Thread {
            while let m = fast.receiveObject() {
                guard let result = (m["params"] as? [String: Any])?["result"] as? [String: Any] else { continue }
                let h = UInt64(((result["block"] as? [String: Any])?["header"] as? [String: Any])?["height"] as? String ?? "")
                heights.append(result["type"] as? String == "block" ? (h ?? 0) : 0)
            }
            heights.finish()
        }
        reader.start()
        try await net.waitUntil("replay up to \(startHeight)", seconds: 20) { heights.last >= startHeight }

        // Load: batches of 16 transfers until the slow client is dropped (the node counts it in /metrics).
        var sent = 0
        try await waitUntil("the slow WebSocket client to be dropped under load", timeout: .seconds(40), poll: .milliseconds(50)) {
            var calls: [String] = []
            let (firstNonce, firstID) = (net.faucetNonce, sent)
            for _ in 0..<16 {
                let tx = try nextTransfer(net)
                calls.append(#"{"jsonrpc":"2.0","id":\#(sent),"method":"broadcast_tx_sync","params":{"tx":"\#(Hex.encode(tx.encoded()))"}}"#)
                sent += 1
            }
            let answers = try await net.post(2, body: Array(("[" + calls.joined(separator: ",") + "]").utf8))
            // One sender may have only so many waiting (sender_limit): resend from the first refused nonce.
            let entries = (try? JSONSerialization.jsonObject(with: Data(answers.body))) as? [[String: Any]] ?? []
            if let refused = entries.filter({ $0["error"] != nil }).compactMap({ $0["id"] as? Int }).min() {
                net.faucetNonce = firstNonce + UInt64(refused - firstID)
            }
            let metrics = try await net.get(2, "/metrics").body
            return (PrometheusTextCheck.value(metrics, "ledger_websocket_slow_clients_dropped_total") ?? 0) >= 1
        }
        let drained = await Task.detached { slow.drainUntilClosed() }.value
        XCTAssertTrue(drained.closed, "the server closed the slow client's connection")
        XCTAssertTrue(drained.text.contains("\"type\":\"block\""), "the slow client did get the first notifications")

        // Commits never stalled, and the fast client saw every block in order, without gaps or repeats.
        try await net.waitCommitted([2], seconds: 30)
        let target = try await net.height(2)
        XCTAssertGreaterThan(target, startHeight)
        try await net.waitUntil("fast subscriber reaches \(target)", seconds: 20) { heights.last >= target }
        fast.shutdownSocket()
        let seen = heights.all
        XCTAssertEqual(Array(seen.prefix(Int(target))), Array(1...target), "blocks arrive in order from height 1")
    }

    func testWebSocketConnectionLimitRefusesWithAnErrorAndTheNodeServesOn() async throws {
        let net = try await network()
        let port = net.rpcPorts[1]
        var open: [RawWebSocket] = []
        // From several loopback addresses: one address may hold only RPCLimits.maxConnectionsPerAddress.
        let sources = (0..<4).map { "127.0.0.\(2 + $0)" }
        for i in 0..<RPCLimits.maxWebSocketConnections { open.append(try RawWebSocket(port: port, source: sources[i % sources.count])) }
        let extra = try RawWebSocket(port: port, source: "127.0.0.6")
        let refusal = try XCTUnwrap(extra.receiveObject())
        XCTAssertEqual(code(refusal), -32029)
        XCTAssertEqual(data(refusal)?["reason"] as? String, "too_many_websockets")
        XCTAssertNil(extra.receive(), "then the server closes it")
        // An admitted client works; closing the others frees their slots.
        try open[0].send(#"{"jsonrpc":"2.0","id":5,"method":"status"}"#)
        XCTAssertEqual(open[0].receiveObject()?["id"] as? Int, 5)
        open.removeAll()
        try await net.waitUntil("slots freed", seconds: 10) {
            guard let ws = try? RawWebSocket(port: port), (try? ws.send(#"{"jsonrpc":"2.0","id":1,"method":"health"}"#)) != nil
            else { return false }
            return ws.receiveObject()?["result"] != nil
        }
        let status = try await net.result(1, "status")
        XCTAssertEqual(status["node_id"] as? Int, 1)
    }

    func testMetricsParseAsPrometheusText() async throws {
        let net = try await network()
        _ = try await net.result(3, "status")
        let (status, text) = try await net.get(3, "/metrics")
        XCTAssertEqual(status, 200)
        XCTAssertEqual(PrometheusTextCheck.problems(text), [])
        for name in ["ledger_height", "ledger_view", "ledger_view_changes_total", "ledger_committed_transactions_total",
                     "ledger_committed_blocks_total", "ledger_mempool_size", "ledger_peers_connected", "ledger_rpc_requests_total",
                     "ledger_commit_latency_seconds", "ledger_state_transfer_height", "ledger_state_transfer_target",
                     "ledger_evidence_total", "ledger_consensus_signature_checks", "ledger_consensus_signature_cache_hits",
                     "ledger_peer_messages_dropped", "ledger_p2p_frames_in", "ledger_p2p_frames_out", "ledger_p2p_bytes_in",
                     "ledger_p2p_bytes_out", "ledger_p2p_send_queue_drops", "ledger_p2p_dropped_while_peer_down",
                     "ledger_p2p_receive_queue_drops", "ledger_p2p_sends_refused", "ledger_p2p_inbound_refused",
                     "ledger_p2p_connect_attempts", "ledger_p2p_inbound_connected"] {
            XCTAssertTrue(text.contains("# TYPE \(name) "), "missing \(name)")
        }
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_peers_connected"), 3)
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_peer_messages_dropped"), 0, "an idle network drops nothing")
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_p2p_inbound_connected"), 3)
        XCTAssertEqual(PrometheusTextCheck.value(text, "ledger_p2p_receive_queue_drops"), 0, "an idle network drops nothing")
        // Connected validators exchange STATUS even when idle, so frames and bytes move both ways (bounded wait).
        var traffic = text
        try await net.waitUntil("p2p frames counted on /metrics", seconds: 15) {
            guard let (_, t) = try? await net.get(3, "/metrics") else { return false }
            traffic = t
            return (PrometheusTextCheck.value(t, "ledger_p2p_frames_in") ?? 0) > 0
                && (PrometheusTextCheck.value(t, "ledger_p2p_frames_out") ?? 0) > 0
        }
        let framesIn = PrometheusTextCheck.value(traffic, "ledger_p2p_frames_in") ?? 0
        XCTAssertGreaterThanOrEqual(PrometheusTextCheck.value(traffic, "ledger_p2p_bytes_in") ?? 0, framesIn)
        XCTAssertEqual(PrometheusTextCheck.value(traffic, "ledger_p2p_handshake_failures{reason=\"chain\"}"), nil,
                       "no handshake of a real validator is refused")
        XCTAssertGreaterThanOrEqual(PrometheusTextCheck.value(text, #"ledger_rpc_requests_total{method="status",code="0"}"#) ?? 0, 1)
    }
}

/// Heights received by a reader thread.
final class HeightLog: @unchecked Sendable {
    private let lock = NSLock()
    private var heights: [UInt64] = []
    private var done = false

    func append(_ h: UInt64) { lock.lock(); heights.append(h); lock.unlock() }
    func finish() { lock.lock(); done = true; lock.unlock() }
    var last: UInt64 { lock.lock(); defer { lock.unlock() }; return heights.last ?? 0 }
    var all: [UInt64] { lock.lock(); defer { lock.unlock() }; return heights }
}
