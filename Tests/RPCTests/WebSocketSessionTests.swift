// Checks WebSocket subscriptions without a socket: a session over the fake node, reading what it queues for the client (order, replay, limits, slow-client drop).
import Foundation
import LedgerCore
import LedgerCrypto
@testable import RPC
import Synchronization
import XCTest

final class WebSocketSessionTests: XCTestCase {
    private func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// Reads queued messages until `count` arrived or 5 s passed.
    private func read(_ session: WebSocketSession, count: Int) async -> [[String: Any]] {
        let reader = Task { () -> [String] in
            var got: [String] = []
            while got.count < count, let m = await session.outbox.next() { got.append(m) }
            return got
        }
        let timeout = Task { try await Task.sleep(for: .seconds(5)); session.outbox.finish() }
        let texts = await reader.value
        timeout.cancel()
        return texts.map(object)
    }

    private func first(_ messages: [[String: Any]]) -> [String: Any]? { messages.first }

    private func blockHeight(_ message: [String: Any]) -> String? {
        let result = (message["params"] as? [String: Any])?["result"] as? [String: Any]
        return ((result?["block"] as? [String: Any])?["header"] as? [String: Any])?["height"] as? String
    }

    func testBlockSubscriptionReplaysThenFollowsLiveInOrder() async throws {
        let backend = FakeBackend()
        for _ in 0..<3 { backend.commitBlock([]) }
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        await session.receive(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"blocks","from_height":"2"}}"#)
        let head = await read(session, count: 3)
        XCTAssertEqual((head.first?["result"] as? [String: Any])?["subscription"] as? String, "1", "the response comes first")
        XCTAssertEqual(head.dropFirst().map(blockHeight), ["2", "3"])
        while backend.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        for _ in 0..<4 { backend.commitBlock([]) }
        let live = await read(session, count: 4)
        XCTAssertEqual(live.map(blockHeight), ["4", "5", "6", "7"], "no gap, no repeat")
        session.cancelSubscriptions()
    }

    func testHashesDetailSendsTransactionHashesOnlyAndRefusesUnknownDetail() async throws {
        let backend = FakeBackend()
        let tx = Fixture.transfer(nonce: 0)
        backend.commitBlock([tx])
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        await session.receive(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"blocks","from_height":"1","detail":"hashes"}}"#)
        let messages = await read(session, count: 2)
        let result = try XCTUnwrap((messages.last?["params"] as? [String: Any])?["result"] as? [String: Any])
        let block = try XCTUnwrap(result["block"] as? [String: Any])
        let txs = try XCTUnwrap(block["txs"] as? [[String: Any]])
        XCTAssertEqual(txs.count, 1)
        XCTAssertEqual(txs.first?.keys.sorted(), ["hash"], "only the hash")
        XCTAssertEqual(txs.first?["hash"] as? String, tx.hash.hex)
        XCTAssertEqual((block["receipts"] as? [Any])?.count, 0, "successes are implied")
        XCTAssertEqual(blockHeight(messages.last!), "1")
        session.cancelSubscriptions()

        let other = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        await other.receive(#"{"jsonrpc":"2.0","id":2,"method":"subscribe","params":{"query":"blocks","detail":"everything"}}"#)
        let refused = await read(other, count: 1)
        let error = try XCTUnwrap(refused.first?["error"] as? [String: Any])
        XCTAssertTrue((error["message"] as? String ?? "").contains("unknown detail"), "\(error)")
    }

    func testTransactionSubscriptionNotifiesOnceWhenCommitted() async throws {
        let backend = FakeBackend()
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        let tx = Fixture.transfer(nonce: 0)
        await session.receive(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["tx","\#(tx.hash.hex)"]}"#)
        _ = await read(session, count: 1)
        while backend.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        backend.commitBlock([])
        backend.commitBlock([tx])
        let noteMessages = await read(session, count: 1)
        let note = try XCTUnwrap(noteMessages.first)
        let result = try XCTUnwrap((note["params"] as? [String: Any])?["result"] as? [String: Any])
        XCTAssertEqual(result["type"] as? String, "tx")
        XCTAssertEqual((result["tx"] as? [String: Any])?["height"] as? String, "2")
        while backend.subscriberCount > 0 { try await Task.sleep(for: .milliseconds(5)) }
        await session.receive(#"{"jsonrpc":"2.0","id":2,"method":"unsubscribe","params":{"subscription":"1"}}"#)
        let goneMessages = await read(session, count: 1)
        let gone = try XCTUnwrap(goneMessages.first)
        XCTAssertEqual((gone["error"] as? [String: Any])?["code"] as? Int, -32004, "the subscription ended by itself")
    }

    func testSubscriptionLimitAndUnsubscribe() async throws {
        let backend = FakeBackend()
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        let limit = RPCLimits.maxSubscriptionsPerConnection
        let batch = "[" + (0...limit).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"subscribe","params":{"query":"blocks"}}"# }
            .joined(separator: ",") + "]"
        XCTAssertLessThanOrEqual(limit + 1, RPCLimits.maxBatchCalls)
        await session.receive(batch)
        let next = await session.outbox.next()
        let replies = Data(try XCTUnwrap(next).utf8)
        let array = try XCTUnwrap(try JSONSerialization.jsonObject(with: replies) as? [[String: Any]])
        XCTAssertEqual(array.filter { $0["result"] != nil }.count, limit)
        let refused = try XCTUnwrap(array.last?["error"] as? [String: Any])
        XCTAssertEqual(refused["code"] as? Int, -32029)
        XCTAssertEqual((refused["data"] as? [String: Any])?["reason"] as? String, "too_many_subscriptions")
        await session.receive(#"{"jsonrpc":"2.0","id":"u","method":"unsubscribe_all"}"#)
        let allMessages = await read(session, count: 1)
        let all = try XCTUnwrap(allMessages.first)
        XCTAssertEqual((all["result"] as? [String: Any])?["unsubscribed"] as? Int, limit)
        await session.receive(#"{"jsonrpc":"2.0","id":"s","method":"subscribe","params":{"query":"nope"}}"#)
        let badMessages = await read(session, count: 1)
        let bad = try XCTUnwrap(badMessages.first)
        XCTAssertEqual((bad["error"] as? [String: Any])?["code"] as? Int, -32602)
    }

    func testSlowClientIsDroppedWithoutBlockingTheProducer() async throws {
        let backend = FakeBackend()
        let closed = Atomic<Bool>(false)
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: { closed.store(true, ordering: .relaxed) })
        await session.receive(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"blocks"}}"#)
        while backend.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        // Nobody reads the outbox: the client is "slow". Committing never waits on it.
        let blocks = RPCLimits.webSocketSendQueueMessages + 50
        for _ in 0..<blocks { backend.commitBlock([]) }
        let deadline = Date().addingTimeInterval(10)
        while !closed.load(ordering: .relaxed), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertTrue(closed.load(ordering: .relaxed), "the slow client's connection was closed")
        var messages: [[String: Any]] = []
        while let m = await session.outbox.next() { messages.append(object(m)) }
        XCTAssertEqual(messages.count, RPCLimits.webSocketSendQueueMessages + 1, "the queue was full, then one final notice")
        let last = try XCTUnwrap((messages.last?["params"] as? [String: Any])?["result"] as? [String: Any])
        XCTAssertEqual(last["type"] as? String, "dropped")
        XCTAssertEqual(last["reason"] as? String, "slow")
        let heights = messages.dropFirst().dropLast().compactMap(blockHeight).compactMap { Int($0) }
        let start = try XCTUnwrap(heights.first)
        XCTAssertEqual(heights, Array(start..<start + heights.count), "what was delivered is in order, without gaps")
        XCTAssertEqual(backend.subscriberCount, 0, "its feed was released")
    }

    func testOutboxBounds() async {
        let outbox = WebSocketOutbox(capacity: 2)
        XCTAssertTrue(outbox.offer("a"))
        XCTAssertTrue(outbox.offer("b"))
        XCTAssertFalse(outbox.offer("c"), "full")
        outbox.closeWith("z")
        XCTAssertFalse(outbox.offer("d"), "closed")
        var got: [String] = []
        while let m = await outbox.next() { got.append(m) }
        XCTAssertEqual(got, ["a", "b", "z"])
    }
}
