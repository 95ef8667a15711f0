import LedgerCore
import LedgerCrypto
import LedgerJSON
import Synchronization

/// One WebSocket client: JSON-RPC requests in, responses and subscription notifications out through a bounded
/// `WebSocketOutbox`. Adds `subscribe`, `unsubscribe` and `unsubscribe_all` to the HTTP methods.
///
/// Nothing here ever makes the node wait: block events arrive through a bounded feed, and a client whose outbox
/// fills up gets a final `{"type":"dropped","reason":"slow"}` notification and is disconnected.
final class WebSocketSession: RPCMethodExtension, Sendable {
    private enum Query: Sendable {
        /// `hashesOnly`: each block carries its transactions' hashes and only its failed receipts.
        case blocks(fromHeight: UInt64?, hashesOnly: Bool)
        case transaction(Digest)
    }

    private struct State {
        var nextID: UInt64 = 1
        var subscriptions: [String: Task<Void, Never>] = [:]
        /// Subscriptions whose `subscribe` response is not queued yet (started right after it).
        var pending: [(String, Query)] = []
        var isClosed = false
    }

    let handler: JSONRPCHandler
    let outbox: WebSocketOutbox
    private let state = Mutex(State())
    private let closeConnection: @Sendable () -> Void

    /// A session answering with `handler`; `closeConnection` force-closes the socket (used for slow clients).
    init(handler: JSONRPCHandler, closeConnection: @escaping @Sendable () -> Void) {
        self.handler = handler
        self.outbox = WebSocketOutbox(capacity: RPCLimits.webSocketSendQueueMessages)
        self.closeConnection = closeConnection
    }

    private var backend: any RPCBackend { handler.backend }

    // MARK: Requests

    /// Answers one text message from the client (a call or a batch).
    func receive(_ text: String) async {
        let reply = await handler.respond(to: Array(text.utf8), extensions: self)
        if let reply, !send(String(decoding: reply, as: UTF8.self)) { return }
        startPending()
    }

    /// Answers a frame the session cannot read (binary, too large).
    func refuse(_ error: RPCError) {
        _ = send(JSONRPCHandler.errorResponse(id: .null, error).serialized())
    }

    func handles(_ method: String) -> Bool { RPCMethod.webSocketOnly[method] != nil }

    func call(_ method: String, params raw: JSONValue?) async throws(RPCError) -> JSONValue {
        switch method {
        case "subscribe": return try await subscribe(raw)
        case "unsubscribe":
            let params = try RPCParams(raw, order: RPCMethod.webSocketOnly["unsubscribe"] ?? [])
            let id = try params.requiredString("subscription", "the id returned by subscribe")
            guard let task = state.withLock({ $0.subscriptions.removeValue(forKey: id) }) else {
                throw .notFound("subscription", "no subscription \"\(id.prefix(40))\" on this connection")
            }
            task.cancel()
            return .object([("unsubscribed", .string(id))])
        case "unsubscribe_all":
            let tasks = state.withLock { s -> [Task<Void, Never>] in
                let all = Array(s.subscriptions.values)
                s.subscriptions.removeAll()
                s.pending.removeAll()
                return all
            }
            for t in tasks { t.cancel() }
            return .object([("unsubscribed", .int(tasks.count))])
        default:
            throw .methodNotFound(method)
        }
    }

    private func subscribe(_ raw: JSONValue?) async throws(RPCError) -> JSONValue {
        // Positional form: ["blocks", from_height?] or ["tx", hash].
        var named = raw
        if case let .array(items)? = raw {
            guard let first = items.first, case let .string(kind) = first, items.count <= 2 else {
                throw .invalidParams("positional subscribe params are [\"blocks\", from_height?] or [\"tx\", hash]")
            }
            var pairs: [(String, JSONValue)] = [("query", .string(kind))]
            if items.count == 2 { pairs.append((kind == "tx" ? "hash" : "from_height", items[1])) }
            named = .object(pairs)
        }
        let params = try RPCParams(named, order: [])
        let query: Query
        switch try params.requiredString("query", "\"blocks\" or \"tx\"") {
        case "blocks", "block", "new_blocks":
            let hashesOnly: Bool
            switch try params.string("detail") ?? "full" {
            case "full": hashesOnly = false
            case "hashes": hashesOnly = true
            case let other:
                throw .invalidParams("unknown detail \"\(other.prefix(40))\"; use \"full\" (whole transactions and receipts) or \"hashes\" (transaction hashes and failed receipts)")
            }
            query = .blocks(fromHeight: try params.uint64("from_height"), hashesOnly: hashesOnly)
        case "tx":
            query = .transaction(try params.digest("hash", "the transaction hash to watch"))
        case let other:
            throw .invalidParams("unknown query \"\(other.prefix(40))\"; use \"blocks\" (with optional from_height) or \"tx\" (with hash)")
        }
        let id = try state.withLock { (s: inout State) throws(RPCError) -> String in
            guard !s.isClosed else { throw RPCError.shuttingDown }
            guard s.subscriptions.count + s.pending.count < RPCLimits.maxSubscriptionsPerConnection else {
                throw RPCError.limitExceeded(
                    reason: "too_many_subscriptions", limit: RPCLimits.maxSubscriptionsPerConnection,
                    message: "at most \(RPCLimits.maxSubscriptionsPerConnection) subscriptions per connection; unsubscribe one first")
            }
            let id = String(s.nextID)
            s.nextID += 1
            s.pending.append((id, query))
            return id
        }
        return .object([("subscription", .string(id))])
    }

    /// Starts the subscriptions created by the message just answered (their notifications follow its response).
    private func startPending() {
        state.withLock { s in
            for (id, query) in s.pending where !s.isClosed {
                s.subscriptions[id] = Task { [self] in
                    switch query {
                    case let .blocks(from, hashesOnly): await self.streamBlocks(id: id, from: from, hashesOnly: hashesOnly)
                    case let .transaction(hash): await self.watchTransaction(id: id, hash: hash)
                    }
                }
            }
            s.pending.removeAll()
        }
    }

    // MARK: Subscriptions

    private func notification(_ id: String?, _ result: JSONValue) -> String {
        JSONValue.object([
            ("jsonrpc", .string("2.0")), ("method", .string("subscription")),
            ("params", .object([("subscription", id.map(JSONValue.string) ?? .null), ("result", result)])),
        ]).serialized()
    }

    private func blockNotification(_ id: String, _ block: Block, hashesOnly: Bool) -> String {
        let body = hashesOnly ? RPCEncoding.encodeHashes(block) : RPCEncoding.encode(block)
        return notification(id, .object([("type", .string("block")), ("block", body)]))
    }

    /// Blocks in height order with no gaps or repeats: first the store from `from` up to the head (waiting for room,
    /// since the client reads at its own pace), then live; a gap in the live feed is filled from the store.
    private func streamBlocks(id: String, from: UInt64?, hashesOnly: Bool) async {
        let feed = backend.subscribeBlocks(buffer: RPCLimits.eventBufferPerSubscription)
        defer { feed.cancel() }
        var next: UInt64
        if let from {
            next = max(from, 1)
            while !Task.isCancelled {
                guard let head = try? await backend.latestHeight(), next <= head.rawValue else { break }
                guard let block = try? await backend.block(at: Height(next)) else { break }
                guard await outbox.waitForRoom(), send(blockNotification(id, block, hashesOnly: hashesOnly)) else { return }
                next += 1
            }
        } else {
            guard let head = try? await backend.latestHeight() else { return }
            next = head.rawValue &+ 1
        }
        for await block in feed.blocks {
            if Task.isCancelled { return }
            let h = block.height.rawValue
            if h < next { continue }
            while next < h {
                guard let missed = try? await backend.block(at: Height(next)) else { break }
                guard deliverLive(id, blockNotification(id, missed, hashesOnly: hashesOnly)) else { return }
                next += 1
            }
            guard deliverLive(id, blockNotification(id, block, hashesOnly: hashesOnly)) else { return }
            next = h &+ 1
        }
    }

    /// One notification when `hash` is committed (or already was), then the subscription ends.
    private func watchTransaction(id: String, hash: Digest) async {
        let feed = backend.subscribeBlocks(buffer: RPCLimits.eventBufferPerSubscription)
        defer {
            feed.cancel()
            _ = state.withLock { $0.subscriptions.removeValue(forKey: id) }
        }
        func settled(_ t: TransactionLookup?) -> TransactionLookup? {
            guard let t, t.status == .committed || t.status == .failed else { return nil }
            return t
        }
        var found = settled(try? await backend.transaction(hash: hash))
        if found == nil {
            var next: UInt64?
            for await block in feed.blocks {
                if Task.isCancelled { return }
                if let i = block.transactions.firstIndex(where: { $0.hash == hash }) {
                    found = TransactionLookup.included(in: block, at: i)
                } else if let n = next, block.height.rawValue != n {
                    found = settled(try? await backend.transaction(hash: hash))
                }
                if found != nil { break }
                next = block.height.rawValue &+ 1
            }
        }
        guard let found, !Task.isCancelled else { return }
        _ = deliverLive(id, notification(id, .object([("type", .string("tx")), ("tx", RPCEncoding.encode(found))])))
    }

    // MARK: Output

    /// Queues a message; a full outbox drops the client.
    @discardableResult
    func send(_ message: String) -> Bool {
        if outbox.offer(message) { return true }
        if !outbox.isClosed { dropSlowClient(subscription: nil) }
        return false
    }

    private func deliverLive(_ id: String, _ message: String) -> Bool {
        if outbox.offer(message) { return true }
        if !outbox.isClosed { dropSlowClient(subscription: id) }
        return false
    }

    /// The client let `RPCLimits.webSocketSendQueueMessages` pile up: tell it (best effort) and disconnect.
    private func dropSlowClient(subscription: String?) {
        let already = state.withLock { s -> Bool in
            defer { s.isClosed = true }
            return s.isClosed
        }
        guard !already else { return }
        handler.metrics?.webSocketClientDropped()
        outbox.closeWith(notification(subscription, .object([
            ("type", .string("dropped")), ("reason", .string("slow")),
            ("limit", .int(RPCLimits.webSocketSendQueueMessages)),
        ])))
        cancelSubscriptions()
        let close = closeConnection
        Task {
            try? await Task.sleep(for: .milliseconds(RPCLimits.slowClientGraceMs))
            close()
        }
    }

    /// Ends every subscription (connection closing).
    func cancelSubscriptions() {
        let tasks = state.withLock { s -> [Task<Void, Never>] in
            s.isClosed = true
            let all = Array(s.subscriptions.values)
            s.subscriptions.removeAll()
            s.pending.removeAll()
            return all
        }
        for t in tasks { t.cancel() }
    }
}
