// Checks every HTTP method's result fields and error paths (codes and structured data) against an in-memory fake node.
import LedgerCore
import LedgerCrypto
import LedgerJSON
import RPC
import TestSupport
import XCTest

final class RPCMethodTests: XCTestCase {
    private var backend: FakeBackend!
    private var handler: JSONRPCHandler!

    override func setUp() {
        backend = FakeBackend()
        handler = JSONRPCHandler(backend: backend)
    }

    private func call(_ method: String, _ params: String = "{}") async throws -> JSONValue {
        let body = #"{"jsonrpc":"2.0","id":7,"method":"\#(method)","params":\#(params)}"#
        let response = await handler.respond(to: Array(body.utf8))
        let out = try XCTUnwrap(response)
        return try JSONValue.parse(out)
    }

    /// The call's `result`, which must be an object.
    private func result(_ method: String, _ params: String = "{}") async throws -> JSONValue {
        let r = try await call(method, params)
        let result = try XCTUnwrap(r["result"], "\(method) failed: \(r)")
        XCTAssertNotNil(result.objectValue, "\(method): the result is not an object")
        return result
    }

    private func error(_ method: String, _ params: String = "{}") async throws -> (code: Int, data: JSONValue?) {
        let r = try await call(method, params)
        let e = try XCTUnwrap(r["error"], "\(method) succeeded: \(r)")
        return (try XCTUnwrap(e["code"]?.intValue), e["data"])
    }

    private func hex(_ tx: Transaction) -> String { Hex.encode(tx.encoded()) }

    func testHealthStatusNetInfoGenesisValidators() async throws {
        let health = try await result("health")
        XCTAssertEqual(health.objectValue?.isEmpty, true)
        backend.commitBlock([Fixture.transfer(nonce: 0)])
        let status = try await result("status")
        XCTAssertEqual(status["chain_id"]?.stringValue, Fixture.chainID)
        XCTAssertEqual(status["height"]?.stringValue, "1")
        XCTAssertEqual(status["view"]?.stringValue, String(UInt64.max), "UInt64 travels as a decimal string")
        XCTAssertEqual(status["node_id"]?.intValue, 2)
        XCTAssertEqual(status["latest_block_time"]?.stringValue, "7")
        let open = try XCTUnwrap(status["open_sequences"]?.arrayValue?.first)
        XCTAssertEqual(open["seq"]?.stringValue, "2")
        XCTAssertEqual(open["missing_prepares"]?.arrayValue?.compactMap(\.intValue), [0, 1])
        XCTAssertEqual(open["missing_commits"]?.arrayValue?.compactMap(\.intValue), [0, 1, 2, 3])
        let net = try await result("net_info")
        XCTAssertEqual(net["listening"]?.boolValue, true)
        XCTAssertEqual(net["peers"]?.arrayValue?.first?["connected"]?.boolValue, true)
        let genesis = try await result("genesis")
        XCTAssertEqual(genesis["chain_id"]?.stringValue, Fixture.chainID)
        XCTAssertEqual(genesis["genesis_hash"]?.stringValue, Fixture.genesis.genesisHash.hex)
        XCTAssertEqual(genesis["validators"]?.arrayValue?.count, 4)
        let validators = try await result("validators")
        XCTAssertEqual(validators["f"]?.intValue, 1)
        XCTAssertEqual(validators["quorum"]?.intValue, 3)
        let v0 = try XCTUnwrap(validators["validators"]?.arrayValue?.first)
        XCTAssertEqual(v0["public_key"]?.stringValue, Fixture.validatorKeys[0].publicKey.hex)
        XCTAssertEqual(v0["address"]?.stringValue, Address(publicKey: Fixture.validatorKeys[0].publicKey).string)
        XCTAssertEqual(validators["epoch"]?.intValue, 0)
        XCTAssertNil(validators["pending_change"])
        let atGenesis = try await result("validators", #"{"height":0}"#)
        XCTAssertEqual(atGenesis["height"]?.intValue, 0)
        XCTAssertEqual(atGenesis["count"]?.intValue, 4)
        let beyond = try await error("validators", #"{"height":99}"#)
        XCTAssertEqual(beyond.code, RPCError.notFound("", "").code)
    }

    func testStatusReportsTheSoftwareVersion() async throws {
        let status = try await result("status")
        XCTAssertEqual(status["version"]?.stringValue, SoftwareVersion.current)
        let parts = SoftwareVersion.current.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertEqual(parts.count, 3, "major.minor.patch")
        XCTAssertTrue(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }, SoftwareVersion.current)
    }

    func testAccountAndItsErrors() async throws {
        let address = Address(publicKey: Fixture.faucet.publicKey).string
        let acct = try await result("account", #"{"address":"\#(address)"}"#)
        XCTAssertEqual(acct["nonce"]?.stringValue, "0")
        XCTAssertEqual(acct["address"]?.stringValue, address)
        let missing = try await error("account")
        XCTAssertEqual(missing.code, -32602)
        let broken = String(address.dropLast()) + (address.hasSuffix("q") ? "p" : "q")
        let badChecksum = try await error("account", #"{"address":"\#(broken)"}"#)
        XCTAssertEqual(badChecksum.code, -32602)
        let tooMany = try await error("account", #"["\#(address)", 1]"#)
        XCTAssertEqual(tooMany.code, -32602)
    }

    func testBlocksHeadersAndCommits() async throws {
        let b1 = backend.commitBlock([Fixture.transfer(nonce: 0), Fixture.transfer(nonce: 1)])
        backend.commitBlock([Fixture.transfer(nonce: 2, amount: UInt64.max)])  // fails: insufficient funds
        backend.commitBlock([])
        let latest = try await result("block")
        XCTAssertEqual(latest["header"]?["height"]?.stringValue, "3")
        let first = try await result("block", #"{"height":"1"}"#)
        XCTAssertEqual(first["hash"]?.stringValue, b1.hash.hex)
        XCTAssertEqual(first["txs"]?.arrayValue?.count, 2)
        XCTAssertEqual(first["header"]?["prev_hash"]?.stringValue, Fixture.genesis.header.hash.hex)
        let second = try await result("block", "[2]")
        let receipt = try XCTUnwrap(second["receipts"]?.arrayValue?.first)
        XCTAssertEqual(receipt["status"]?.stringValue, "failed")
        XCTAssertNotNil(receipt["reason"]?.stringValue)
        let byHash = try await result("block_by_hash", #"{"hash":"\#(b1.hash.hex)"}"#)
        XCTAssertEqual(byHash["header"]?["height"]?.stringValue, "1")
        let unknown = try await error("block_by_hash", #"{"hash":"\#(Digest.zero.hex)"}"#)
        XCTAssertEqual(unknown.code, -32004)
        XCTAssertEqual(unknown.data?["reason"]?.stringValue, "not_found")
        XCTAssertEqual(unknown.data?["what"]?.stringValue, "block")
        let future = try await error("block", #"{"height":"99"}"#)
        XCTAssertEqual(future.code, -32004)
        for bad in [#"{"height":"-1"}"#, #"{"height":"1x"}"#, #"{"height":"99999999999999999999"}"#, #"{"height":true}"#] {
            let e = try await error("block", bad)
            XCTAssertEqual(e.code, -32602, bad)
        }
        let shortHash = try await error("block_by_hash", #"{"hash":"abcd"}"#)
        XCTAssertEqual(shortHash.code, -32602)

        let chain = try await result("blockchain")
        XCTAssertEqual(chain["last_height"]?.stringValue, "3")
        let heights = chain["headers"]?.arrayValue?.compactMap { $0["header"]?["height"]?.stringValue }
        XCTAssertEqual(heights, ["3", "2", "1"], "newest first")
        let window = try await result("blockchain", #"{"min_height":"2","max_height":"2"}"#)
        XCTAssertEqual(window["headers"]?.arrayValue?.count, 1)
        let inverted = try await error("blockchain", #"{"min_height":"3","max_height":"2"}"#)
        XCTAssertEqual(inverted.code, -32602)

        let commit = try await result("commit", #"{"height":"1"}"#)
        XCTAssertEqual(commit["hash"]?.stringValue, b1.hash.hex)
        XCTAssertEqual(commit["certificate"]?.stringValue, "010203")
        XCTAssertEqual(commit["signatures"]?.arrayValue?.first?["validator"]?.intValue, 1)
        let noCommit = try await error("commit", #"{"height":"50"}"#)
        XCTAssertEqual(noCommit.code, -32004)
        XCTAssertEqual(noCommit.data?["what"]?.stringValue, "commit")
    }

    func testTxLookupWithMerkleProof() async throws {
        let txs = (0..<5).map { Fixture.transfer(nonce: UInt64($0)) }
        let block = backend.commitBlock(txs)
        let r = try await result("tx", #"{"hash":"\#(txs[3].hash.hex)"}"#)
        XCTAssertEqual(r["status"]?.stringValue, "committed")
        XCTAssertEqual(r["height"]?.stringValue, "1")
        XCTAssertEqual(r["index"]?.intValue, 3)
        XCTAssertEqual(r["block_hash"]?.stringValue, block.hash.hex)
        let proof = try XCTUnwrap(r["proof"])
        XCTAssertEqual(proof["leaf_count"]?.intValue, 5)
        XCTAssertEqual(proof["tx_root"]?.stringValue, block.header.txRoot.hex)
        let steps = try XCTUnwrap(proof["steps"]?.arrayValue).map {
            Merkle.ProofStep(sibling: try! Digest(hex: $0["sibling"]?.stringValue ?? ""), siblingIsLeft: $0["sibling_is_left"]?.boolValue ?? false)
        }
        XCTAssertEqual(proof["path"]?.arrayValue?.compactMap(\.stringValue), steps.map(\.sibling.hex))
        XCTAssertTrue(Merkle.verify(leaf: txs[3].hash, proof: steps, root: block.header.txRoot), "the proof links the tx to the header")
        XCTAssertFalse(Merkle.verify(leaf: txs[2].hash, proof: steps, root: block.header.txRoot))

        let pendingTx = Fixture.transfer(nonce: 5)
        _ = try await result("broadcast_tx_sync", #"{"tx":"\#(hex(pendingTx))"}"#)
        let pending = try await result("tx", #"["\#(pendingTx.hash.hex)"]"#)
        XCTAssertEqual(pending["status"]?.stringValue, "pending")
        XCTAssertNil(pending["proof"])
        let unknown = try await result("tx", #"{"hash":"\#(Digest.zero.hex)"}"#)
        XCTAssertEqual(unknown["status"]?.stringValue, "unknown")
    }

    func testBroadcastIsIdempotentAndRejectionsAreStructured() async throws {
        let tx = Fixture.transfer(nonce: 0)
        let first = try await result("broadcast_tx_sync", #"{"tx":"\#(hex(tx))"}"#)
        let again = try await result("broadcast_tx_sync", #"{"tx":"\#(hex(tx))"}"#)
        XCTAssertEqual(first["hash"]?.stringValue, tx.hash.hex)
        XCTAssertEqual(again["hash"]?.stringValue, tx.hash.hex, "resubmitting a pending tx returns its hash")
        let counts = try await result("num_unconfirmed_txs")
        XCTAssertEqual(counts["total"]?.intValue, 1, "submitted twice, waiting once")
        backend.commitBlock()
        let afterCommit = try await result("broadcast_tx_sync", #"{"tx":"\#(hex(tx))"}"#)
        XCTAssertEqual(afterCommit["hash"]?.stringValue, tx.hash.hex, "resubmitting a committed tx returns its hash")
        let committed = try await result("broadcast_tx_commit", #"{"tx":"\#(hex(tx))"}"#)
        XCTAssertEqual(committed["status"]?.stringValue, "committed")
        XCTAssertEqual(committed["height"]?.stringValue, "1")

        let replay = Fixture.transfer(nonce: 0, amount: 6)
        let rejected = try await error("broadcast_tx_sync", #"{"tx":"\#(hex(replay))"}"#)
        XCTAssertEqual(rejected.code, -32010)
        XCTAssertEqual(rejected.data?["reason"]?.stringValue, "nonce_too_low")
        XCTAssertEqual(rejected.data?["expected"]?.stringValue, "1")
        XCTAssertEqual(rejected.data?["got"]?.stringValue, "0")

        let malformed = try await error("broadcast_tx_sync", #"{"tx":"00ff"}"#)
        XCTAssertEqual(malformed.code, -32010)
        XCTAssertEqual(malformed.data?["reason"]?.stringValue, "malformed")
        let notHex = try await error("broadcast_tx_async", #"{"tx":"zz"}"#)
        XCTAssertEqual(notHex.code, -32602)
        let async = try await result("broadcast_tx_async", #"{"tx":"\#(hex(Fixture.transfer(nonce: 1)))"}"#)
        XCTAssertEqual(async["hash"]?.stringValue, Fixture.transfer(nonce: 1).hash.hex)

        backend.state.withLock { $0.isShuttingDown = true }
        let closing = try await error("broadcast_tx_sync", #"{"tx":"\#(hex(Fixture.transfer(nonce: 9)))"}"#)
        XCTAssertEqual(closing.code, -32050)
        XCTAssertEqual(closing.data?["reason"]?.stringValue, "shutting_down")
    }

    func testBroadcastTxCommitWaitsForTheBlock() async throws {
        let tx = Fixture.transfer(nonce: 0)
        let backend = self.backend!
        let committer = Task {
            try await waitUntil("the transaction of broadcast_tx_commit reaches the mempool") {
                !backend.state.withLock { $0.mempool.isEmpty }
            }
            backend.commitBlock([])  // an unrelated block first
            backend.commitBlock()
        }
        let r = try await result("broadcast_tx_commit", #"{"tx":"\#(hex(tx))","timeout_ms":"5000"}"#)
        try await committer.value
        XCTAssertEqual(r["hash"]?.stringValue, tx.hash.hex)
        XCTAssertEqual(r["height"]?.stringValue, "2")
        XCTAssertEqual(r["status"]?.stringValue, "committed")
        XCTAssertEqual(r["receipt"]?["status"]?.stringValue, "success")
        XCTAssertEqual(backend.subscriberCount, 0, "the waiter's block feed is closed")
    }

    func testBroadcastTxCommitTimesOutWithTheHash() async throws {
        let tx = Fixture.transfer(nonce: 0)
        let e = try await error("broadcast_tx_commit", #"{"tx":"\#(hex(tx))","timeout_ms":"50"}"#)
        XCTAssertEqual(e.code, -32020)
        XCTAssertEqual(e.data?["reason"]?.stringValue, "timeout")
        XCTAssertEqual(e.data?["hash"]?.stringValue, tx.hash.hex)
        XCTAssertNotNil(UInt64(e.data?["waited_ms"]?.stringValue ?? ""))
        let tooLong = try await error("broadcast_tx_commit", #"{"tx":"\#(hex(tx))","timeout_ms":"600000"}"#)
        XCTAssertEqual(tooLong.code, -32602)
        let pending = try await result("tx", #"{"hash":"\#(tx.hash.hex)"}"#)
        XCTAssertEqual(pending["status"]?.stringValue, "pending", "the timed-out tx is still waiting, not lost")
    }

    func testUnconfirmedAndEvidence() async throws {
        for n in 0..<3 { _ = try await result("broadcast_tx_sync", #"{"tx":"\#(hex(Fixture.transfer(nonce: UInt64(n))))"}"#) }
        let two = try await result("unconfirmed_txs", #"{"limit":2}"#)
        XCTAssertEqual(two["count"]?.intValue, 2)
        XCTAssertEqual(two["total"]?.intValue, 3)
        XCTAssertEqual(two["txs"]?.arrayValue?.first?["nonce"]?.stringValue, "0")
        let badLimit = try await error("unconfirmed_txs", #"{"limit":"1000"}"#)
        XCTAssertEqual(badLimit.code, -32602)
        let evidence = try await result("evidence")
        XCTAssertEqual(evidence["count"]?.intValue, 1)
        let e = try XCTUnwrap(evidence["evidence"]?.arrayValue?.first)
        XCTAssertEqual(e["offender"]?.intValue, 3)
        XCTAssertEqual(e["kind"]?.stringValue, "prepare")
        XCTAssertEqual(e["sequence"]?.stringValue, "9")
    }

    func testWebSocketOnlyMethodsExplainThemselvesOverHTTP() async throws {
        let r = try await call("subscribe", #"{"query":"blocks"}"#)
        let e = try XCTUnwrap(r["error"])
        XCTAssertEqual(e["code"]?.intValue, -32601)
        XCTAssertTrue((e["message"]?.stringValue ?? "").contains("/websocket"))
    }

    /// A batch's `broadcast_tx_sync` calls are admitted as one group, in the batch's order; each call still gets
    /// its own answer under its own id, malformed ones their own error, and other methods are answered as usual.
    func testBatchSubmissionsAreAdmittedTogetherInOrder() async throws {
        let txs = (0..<3).map { Fixture.transfer(nonce: UInt64($0)) }
        let calls = [
            #"{"jsonrpc":"2.0","id":"a","method":"broadcast_tx_sync","params":{"tx":"\#(hex(txs[0]))"}}"#,
            #"{"jsonrpc":"2.0","id":"b","method":"broadcast_tx_sync","params":{"tx":"zz"}}"#,
            #"{"jsonrpc":"2.0","id":"c","method":"status"}"#,
            #"{"jsonrpc":"2.0","id":"d","method":"broadcast_tx_sync","params":["\#(hex(txs[1]))"]}"#,
            #"{"jsonrpc":"2.0","method":"broadcast_tx_sync","params":{"tx":"\#(hex(txs[2]))"}}"#,
            #"{"jsonrpc":"2.0","id":"e","method":"broadcast_tx_sync","params":{"tx":"00"}}"#,
        ]
        let body = "[" + calls.joined(separator: ",") + "]"
        let response = await handler.respond(to: Array(body.utf8))
        let out = try XCTUnwrap(response)
        let responses = try XCTUnwrap(try JSONValue.parse(out).arrayValue)
        XCTAssertEqual(responses.map { $0["id"]?.stringValue }, ["a", "b", "c", "d", "e"], "one answer per call with an id, in order")
        XCTAssertEqual(responses[0]["result"]?["hash"]?.stringValue, txs[0].hash.hex)
        XCTAssertEqual(responses[1]["error"]?["code"]?.intValue, -32602, "bad hex is invalid params")
        XCTAssertNotNil(responses[2]["result"]?.objectValue)
        XCTAssertEqual(responses[3]["result"]?["hash"]?.stringValue, txs[1].hash.hex)
        XCTAssertNotNil(responses[4]["error"], "bytes that are no transaction are refused")
        XCTAssertEqual(backend.state.withLock { $0.submissionGroups }, [4], "the four well-formed submissions went as one group")
        XCTAssertEqual(backend.state.withLock { $0.mempool.map(\.hash) }, txs.map(\.hash), "admitted in batch order")
    }
}

