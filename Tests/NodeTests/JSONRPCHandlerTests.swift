// Checks the JSON-RPC layer against a fake backend: spec error codes for garbage, method dispatch, parameter checks and result fields.
import LedgerCore
import LedgerCrypto
import RPC
import XCTest

private struct FakeBackend: RPCBackend {
    let key = SigningKey.generate()
    func status() async -> NodeStatus {
        NodeStatus(chainID: "c", nodeID: ReplicaID(2), height: Height(UInt64.max), latestBlockHash: .zero, view: View(3),
                   primary: ReplicaID(3), isCatchingUp: true, peers: [ReplicaID(0), ReplicaID(1)], isChangingView: false,
                   mempoolSize: 0)
    }
    func submitTransaction(_ encoded: [UInt8]) async throws(RPCError) -> Digest {
        if encoded == [1, 2] { throw .transactionRejected("mempool full (1 transactions waiting); retry later") }
        return Hash.blake2b256(encoded)
    }
    func account(_ address: Address) async throws(RPCError) -> Account {
        Account(publicKey: address.publicKey, balance: 12_345_678_901_234_567_890, nonce: 7)
    }
    func block(at height: Height?) async throws(RPCError) -> Block? { nil }
}

final class JSONRPCHandlerTests: XCTestCase {
    private let backend = FakeBackend()
    private var handler: JSONRPCHandler { JSONRPCHandler(backend: backend) }

    private func call(_ body: String) async throws -> [String: Any] {
        let response = await handler.respond(to: Array(body.utf8))
        let out = try XCTUnwrap(response)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
    }

    private func errorCode(_ r: [String: Any]) -> Int? { (r["error"] as? [String: Any])?["code"] as? Int }

    private func code(_ body: String) async throws -> Int? { errorCode(try await call(body)) }

    func testGarbageGetsSpecErrorCodes() async throws {
        let parse = try await call("{not json")
        XCTAssertEqual(errorCode(parse), -32700)
        let deep = try await call(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
        XCTAssertEqual(errorCode(deep), -32700)
        let code1 = try await code("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"status\"}")
        XCTAssertEqual(code1, -32600)
        let code2 = try await code("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}")
        XCTAssertEqual(code2, -32601)
        let code3 = try await code("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"broadcast_tx_sync\",\"params\":{\"tx\":\"zz\"}}")
        XCTAssertEqual(code3, -32602)
        let code4 = try await code("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"account\",\"params\":{\"address\":\"ldg1abc\"}}")
        XCTAssertEqual(code4, -32602)
        let code5 = try await code("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"block\",\"params\":{\"height\":\"-1\"}}")
        XCTAssertEqual(code5, -32602)
        let code6 = try await code("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"block\",\"params\":{\"height\":\"5\"}}")
        XCTAssertEqual(code6, -32004)
    }

    func testStatusUsesDecimalStringsForUInt64() async throws {
        let r = try await call("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"status\"}")
        XCTAssertEqual(r["id"] as? String, "a")
        let s = try XCTUnwrap(r["result"] as? [String: Any])
        XCTAssertEqual(s["height"] as? String, "18446744073709551615")
        XCTAssertEqual(s["view"] as? String, "3")
        XCTAssertEqual(s["node_id"] as? Int, 2)
        XCTAssertEqual(s["primary"] as? Int, 3)
        XCTAssertEqual(s["catching_up"] as? Bool, true)
        XCTAssertEqual(s["peers"] as? Int, 2)
        XCTAssertEqual(s["latest_block_hash"] as? String, String(repeating: "0", count: 64))
    }

    func testBroadcastAndAccount() async throws {
        let ok = try await call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"broadcast_tx_sync\",\"params\":{\"tx\":\"0a0b\"}}")
        XCTAssertEqual((ok["result"] as? [String: Any])?["hash"] as? String, Hash.blake2b256([0x0a, 0x0b]).hex)
        let full = try await call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"broadcast_tx_sync\",\"params\":[\"0102\"]}")
        XCTAssertEqual(errorCode(full), -32010)
        XCTAssertTrue(((full["error"] as? [String: Any])?["message"] as? String ?? "").contains("mempool full"))
        let address = Address(publicKey: backend.key.publicKey)
        let acct = try await call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"account\",\"params\":{\"address\":\"\(address)\"}}")
        let result = try XCTUnwrap(acct["result"] as? [String: Any])
        XCTAssertEqual(result["balance"] as? String, "12345678901234567890")
        XCTAssertEqual(result["nonce"] as? String, "7")
        XCTAssertEqual(result["address"] as? String, address.string)
    }

    func testBatchesAndNotifications() async throws {
        let batch = await handler.respond(to: Array(
            "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"},{\"jsonrpc\":\"2.0\",\"method\":\"status\"},5]".utf8))
        let out = try XCTUnwrap(batch)
        let array = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out)) as? [[String: Any]])
        XCTAssertEqual(array.count, 2, "the notification gets no response; the bad entry gets an error")
        XCTAssertNotNil(array[0]["result"])
        XCTAssertEqual(errorCode(array[1]), -32600)
        let none = await handler.respond(to: Array("{\"jsonrpc\":\"2.0\",\"method\":\"status\"}".utf8))
        XCTAssertNil(none)
    }
}
