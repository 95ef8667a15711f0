// Checks WebSocket subscriptions without a socket: a session over the fake node, reading what it queues for the client (order, replay, limits, slow-client drop).
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
@testable import RPC
import Synchronization
import TestSupport
import XCTest

final class WebSocketSessionTests: XCTestCase {
    private func object(_ text: String) -> JSONValue {
        (try? JSONValue.parse(text)) ?? .null
    }

    /// Reads the next `count` queued messages as text; fails the test (throwing) if they do not arrive within 10 s.
    private func readTexts(_ session: WebSocketSession, count: Int, file: StaticString = #filePath, line: UInt = #line)
        async throws -> [String]
    {
        let got = Mutex<[String]>([])
        let reader = Task {
            while got.withLock({ $0.count }) < count, let m = await session.outbox.next() { got.withLock { $0.append(m) } }
        }
        do {
            try await waitUntil("\(count) message(s) queued by the session", file: file, line: line) {
                got.withLock { $0.count } >= count
            }
        } catch {
            session.outbox.finish()  // releases the reader
            throw error
        }
        await reader.value
        return got.withLock { $0 }
    }

    /// Reads the next `count` queued messages as JSON objects (see `readTexts`).
    private func read(_ session: WebSocketSession, count: Int, file: StaticString = #filePath, line: UInt = #line)
        async throws -> [JSONValue]
    {
        try await readTexts(session, count: count, file: file, line: line).map(object)
    }

    /// Reads `outbox` until it ends by itself (it was closed and is drained); fails the test (throwing) if it has
    /// not ended within 10 s — a `while let … next()` on an outbox that never ends would hang instead.
    private func readUntilEnded(_ outbox: WebSocketOutbox, file: StaticString = #filePath, line: UInt = #line)
        async throws -> [String]
    {
        let got = Mutex<[String]>([])
        let ended = Atomic<Bool>(false)
        let reader = Task {
            while let m = await outbox.next() { got.withLock { $0.append(m) } }
            ended.store(true, ordering: .releasing)
        }
        do {
            try await waitUntil("the outbox to end after its last message", file: file, line: line) {
                ended.load(ordering: .acquiring)
            }
        } catch {
            outbox.finish()  // releases the reader
            throw error
        }
        await reader.value
        return got.withLock { $0 }
    }

    /// Waits until the fake node's block feed has `subscribers` subscribers: a session subscribes asynchronously,
    /// so blocks committed before this may never reach it.
    private func waitForSubscribers(_ backend: FakeBackend, _ subscribers: Int, file: StaticString = #filePath, line: UInt = #line)
        async throws
    {
        try await waitUntil("\(subscribers) subscriber(s) on the block feed", file: file, line: line) {
            backend.subscriberCount == subscribers
        }
    }

    private func first(_ messages: [JSONValue]) -> JSONValue? { messages.first }

    private func blockHeight(_ message: JSONValue) -> String? {
        message["params"]?["result"]?["block"]?["header"]?["height"]?.stringValue
    }

    func testBlockSubscriptionReplaysThenFollowsLiveInOrder() async throws {
        let backend = FakeBackend()
        for _ in 0..<3 { backend.commitBlock([]) }
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        await session.receive(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"blocks","from_height":"2"}}"#)
        let head = try await read(session, count: 3)
        XCTAssertEqual(head.first?["result"]?["subscription"]?.stringValue, "1", "the response comes first")
        XCTAssertEqual(head.dropFirst().map(blockHeight), ["2", "3"])
        try await waitForSubscribers(backend, 1)
        for _ in 0..<4 { backend.commitBlock([]) }
        let live = try await read(session, count: 4)
        XCTAssertEqual(live.map(blockHeight), ["4", "5", "6", "7"], "no gap, no repeat")
        session.cancelSubscriptions()
    }

    func testHashesDetailSendsTransactionHashesOnlyAndRefusesUnknownDetail() async throws {
        let backend = FakeBackend()
        let tx = Fixture.transfer(nonce: 0)
        backend.commitBlock([tx])
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        await session.receive(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"blocks","from_height":"1","detail":"hashes"}}"#)
        let messages = try await read(session, count: 2)
        let result = try XCTUnwrap(messages.last?["params"]?["result"])
        let block = try XCTUnwrap(result["block"])
        let txs = try XCTUnwrap(block["txs"]?.arrayValue)
        XCTAssertEqual(txs.count, 1)
        XCTAssertEqual(txs.first?.objectValue?.map(\.0), ["hash"], "only the hash")
        XCTAssertEqual(txs.first?["hash"]?.stringValue, tx.hash.hex)
        XCTAssertEqual(block["receipts"]?.arrayValue?.count, 0, "successes are implied")
        XCTAssertEqual(blockHeight(messages.last!), "1")
        session.cancelSubscriptions()

        let other = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        await other.receive(#"{"jsonrpc":"2.0","id":2,"method":"subscribe","params":{"query":"blocks","detail":"everything"}}"#)
        let refused = try await read(other, count: 1)
        let error = try XCTUnwrap(refused.first?["error"])
        XCTAssertTrue((error["message"]?.stringValue ?? "").contains("unknown detail"), "\(error)")
    }

    func testTransactionSubscriptionNotifiesOnceWhenCommitted() async throws {
        let backend = FakeBackend()
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        let tx = Fixture.transfer(nonce: 0)
        await session.receive(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["tx","\#(tx.hash.hex)"]}"#)
        _ = try await read(session, count: 1)
        try await waitForSubscribers(backend, 1)
        backend.commitBlock([])
        backend.commitBlock([tx])
        let noteMessages = try await read(session, count: 1)
        let note = try XCTUnwrap(noteMessages.first)
        let result = try XCTUnwrap(note["params"]?["result"])
        XCTAssertEqual(result["type"]?.stringValue, "tx")
        XCTAssertEqual(result["tx"]?["height"]?.stringValue, "2")
        try await waitForSubscribers(backend, 0)  // the notified subscription ended by itself
        await session.receive(#"{"jsonrpc":"2.0","id":2,"method":"unsubscribe","params":{"subscription":"1"}}"#)
        let goneMessages = try await read(session, count: 1)
        let gone = try XCTUnwrap(goneMessages.first)
        XCTAssertEqual(gone["error"]?["code"]?.intValue, -32004, "the subscription ended by itself")
    }

    func testSubscriptionLimitAndUnsubscribe() async throws {
        let backend = FakeBackend()
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: {})
        let limit = RPCLimits.maxSubscriptionsPerConnection
        let batch = "[" + (0...limit).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"subscribe","params":{"query":"blocks"}}"# }
            .joined(separator: ",") + "]"
        XCTAssertLessThanOrEqual(limit + 1, RPCLimits.maxBatchCalls)
        await session.receive(batch)
        let next = try await readTexts(session, count: 1)
        let array = try XCTUnwrap(try JSONValue.parse(try XCTUnwrap(next.first)).arrayValue)
        XCTAssertEqual(array.filter { $0["result"] != nil }.count, limit)
        let refused = try XCTUnwrap(array.last?["error"])
        XCTAssertEqual(refused["code"]?.intValue, -32029)
        XCTAssertEqual(refused["data"]?["reason"]?.stringValue, "too_many_subscriptions")
        await session.receive(#"{"jsonrpc":"2.0","id":"u","method":"unsubscribe_all"}"#)
        let allMessages = try await read(session, count: 1)
        let all = try XCTUnwrap(allMessages.first)
        XCTAssertEqual(all["result"]?["unsubscribed"]?.intValue, limit)
        await session.receive(#"{"jsonrpc":"2.0","id":"s","method":"subscribe","params":{"query":"nope"}}"#)
        let badMessages = try await read(session, count: 1)
        let bad = try XCTUnwrap(badMessages.first)
        XCTAssertEqual(bad["error"]?["code"]?.intValue, -32602)
    }

    func testSlowClientIsDroppedWithoutBlockingTheProducer() async throws {
        let backend = FakeBackend()
        let closed = Atomic<Bool>(false)
        let session = WebSocketSession(handler: JSONRPCHandler(backend: backend), closeConnection: { closed.store(true, ordering: .relaxed) })
        await session.receive(#"{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"query":"blocks"}}"#)
        try await waitForSubscribers(backend, 1)
        // Nobody reads the outbox: the client is "slow". Committing never waits on it.
        let blocks = RPCLimits.webSocketSendQueueMessages + 50
        for _ in 0..<blocks { backend.commitBlock([]) }
        try await waitUntil("the slow client's connection is closed") { closed.load(ordering: .relaxed) }
        let messages = try await readUntilEnded(session.outbox).map(object)
        XCTAssertEqual(messages.count, RPCLimits.webSocketSendQueueMessages + 1, "the queue was full, then one final notice")
        let last = try XCTUnwrap(messages.last?["params"]?["result"])
        XCTAssertEqual(last["type"]?.stringValue, "dropped")
        XCTAssertEqual(last["reason"]?.stringValue, "slow")
        let heights = messages.dropFirst().dropLast().compactMap(blockHeight).compactMap { Int($0) }
        let start = try XCTUnwrap(heights.first)
        XCTAssertEqual(heights, Array(start..<start + heights.count), "what was delivered is in order, without gaps")
        XCTAssertEqual(backend.subscriberCount, 0, "its feed was released")
    }

    func testOutboxBounds() async throws {
        let outbox = WebSocketOutbox(capacity: 2)
        XCTAssertTrue(outbox.offer("a"))
        XCTAssertTrue(outbox.offer("b"))
        XCTAssertFalse(outbox.offer("c"), "full")
        outbox.closeWith("z")
        XCTAssertFalse(outbox.offer("d"), "closed")
        let got = try await readUntilEnded(outbox)
        XCTAssertEqual(got, ["a", "b", "z"])
    }
}
