import Adversary
import Foundation
import LedgerCore
import LedgerCrypto
import Wallet

/// Honest clients: each signs transfers from its own funded account (one outstanding at a
/// time, so nonces never race), sends them to the honest nodes in rotation (the next one when a
/// node is down or slow), resubmits a transfer that has not committed after a few seconds, and
/// learns that it committed when the account's nonce passes it on an honest node.
actor LoadDriver {
    /// A transfer a client was told had committed.
    struct Confirmed: Sendable {
        var hash: Digest
        var client: Int
        var nonce: UInt64
        /// When the client first sent it.
        var submittedAt: Date
        /// When the client learnt it had committed.
        var at: Date
    }

    private struct Client {
        var key: SigningKey
        var nextNonce: UInt64 = 0
        var pending: Transaction?
        var submittedAt = Date.distantPast
        var firstSubmittedAt = Date.distantPast
        var node: Int
    }

    let chainID: String
    let nodes: [RPCClient]
    let honest: [Int]
    /// The nodes clients send their transfers to (the honest ones unless a scenario says otherwise).
    let entry: [Int]
    private var clients: [Client]
    let sinks: [Address]
    private var random: AdversaryRandom
    private(set) var confirmed: [Confirmed] = []
    private(set) var submissions = 0
    private(set) var rejections: [String: Int] = [:]
    /// When each answered client call (submit or nonce poll) ended and how long it took, ms.
    private var latencies: [(at: Date, ms: Double)] = []
    private var generating = false
    private var stopping = false
    private var tasks: [Task<Void, Never>] = []
    /// Amount each client gets from the faucet.
    static let funding: UInt64 = 1_000_000_000
    /// A pending transfer is sent again (to the next node) after this long.
    static let resubmitAfter: TimeInterval = 3

    init(chainID: String, nodes: [RPCClient], honest: [Int], entry: [Int]? = nil, clientCount: Int, seed: UInt64) {
        self.chainID = chainID
        self.nodes = nodes
        self.honest = honest
        let entry = entry ?? honest
        self.entry = entry
        var random = AdversaryRandom(seed: seed, label: "clients")
        clients = (0..<clientCount).map { c in
            Client(key: try! SigningKey(seed: random.bytes32()), node: entry[c % entry.count])
        }
        sinks = (0..<3).map { _ in Address(publicKey: try! SigningKey(seed: random.bytes32()).publicKey) }
        self.random = random
    }

    /// Every address the load touches (clients and sinks), for the balance check.
    var addresses: [Address] { clients.map { Address(publicKey: $0.key.publicKey) } + sinks }

    /// Sends each client its funds from `faucet` and waits until every honest node shows them.
    func fund(from faucet: SigningKey, timeout: TimeInterval) async throws {
        var nonce: UInt64 = 0
        for c in clients.indices {
            let tx = try Transaction.signed(chainID: chainID, sender: faucet, recipient: Address(publicKey: clients[c].key.publicKey),
                                            amount: Self.funding, nonce: nonce)
            nonce += 1
            var sent = false
            for attempt in 0..<honest.count * 3 where !sent {
                sent = await submit(tx, to: honest[attempt % honest.count])
                if !sent { try await Task.sleep(for: .milliseconds(200)) }
            }
            if !sent { throw RunnerError.setup("the faucet transfer to client \(c) was refused by every honest node") }
        }
        let deadline = Date().addingTimeInterval(timeout)
        let faucetAddress = Address(publicKey: faucet.publicKey).description
        while Date() < deadline {
            var done = true
            for i in honest {
                let n = try? await nodes[i].object("account", ["address": faucetAddress])
                if n?["nonce"]?.uint64Value ?? 0 < nonce { done = false; break }
            }
            if done { return }
            try await Task.sleep(for: .milliseconds(150))
        }
        throw RunnerError.setup("client funding did not commit on every honest node within \(Int(timeout)) s")
    }

    /// Starts every client's loop.
    func start() {
        generating = true
        for c in clients.indices {
            tasks.append(Task { await self.run(c) })
        }
    }

    /// Stops making new transfers; pending ones keep being polled (and resubmitted).
    func stopGenerating() { generating = false }

    /// Transfers handed out but not yet known to be committed.
    var pendingCount: Int { clients.filter { $0.pending != nil }.count }

    /// Ends every client loop: each finishes the call it is in (every call has a deadline) and stops.
    func stop() async {
        generating = false
        stopping = true
        for t in tasks { await t.value }
        tasks.removeAll()
    }

    /// Seconds from `mark` until the first transfer sent after `mark` was confirmed.
    func firstCommitOfTransferSent(after mark: Date) -> Double? {
        confirmed.filter { $0.submittedAt >= mark }.map { $0.at.timeIntervalSince(mark) }.min()
    }

    /// The 99th percentile of the answered client calls' latency (ms) between `from` and `to`, or `nil` with
    /// fewer than 100 calls (a p99 of fewer says nothing).
    func p99LatencyMs(from: Date, to: Date) -> Double? {
        let window = latencies.filter { $0.at >= from && $0.at < to }.map(\.ms).sorted()
        guard window.count >= 100 else { return nil }
        return window[min(window.count - 1, Int((Double(window.count) * 0.99).rounded(.up)) - 1)]
    }

    /// Records one answered call that started at `start`.
    private func recordLatency(since start: Date) {
        let now = Date()
        latencies.append((now, now.timeIntervalSince(start) * 1_000))
    }

    /// Confirmations between `from` and `to`.
    func confirmedCount(from: Date, to: Date) -> Int { confirmed.filter { $0.at >= from && $0.at < to }.count }

    private func run(_ c: Int) async {
        while !stopping {
            if clients[c].pending == nil {
                guard generating else { try? await Task.sleep(for: .milliseconds(100)); continue }
                let recipient = pickRecipient(for: c)
                let amount = UInt64(1 + random.below(1_000))
                guard let tx = try? Transaction.signed(chainID: chainID, sender: clients[c].key, recipient: recipient,
                                                       amount: amount, nonce: clients[c].nextNonce) else { return }
                clients[c].pending = tx
                clients[c].firstSubmittedAt = Date()
                await send(c)
                continue
            }
            try? await Task.sleep(for: .milliseconds(120))
            await poll(c)
        }
    }

    private func pickRecipient(for c: Int) -> Address {
        let choice = random.below(clients.count + sinks.count - 1)
        if choice < sinks.count { return sinks[choice] }
        var other = choice - sinks.count
        if other >= c { other += 1 }
        return Address(publicKey: clients[other].key.publicKey)
    }

    /// Sends the pending transfer, trying the entry nodes from the client's current one on.
    private func send(_ c: Int) async {
        guard let tx = clients[c].pending else { return }
        let start = entry.firstIndex(of: clients[c].node) ?? 0
        for k in 0..<entry.count {
            let node = entry[(start + k) % entry.count]
            if await submit(tx, to: node) {
                clients[c].node = node
                clients[c].submittedAt = Date()
                return
            }
        }
        clients[c].submittedAt = Date()
    }

    /// `true` when the node took it (or already had it).
    private func submit(_ tx: Transaction, to node: Int) async -> Bool {
        submissions += 1
        let start = Date()
        do {
            _ = try await nodes[node].call("broadcast_tx_sync", ["tx": Hex.encode(tx.encoded())], timeout: 2)
            recordLatency(since: start)
            return true
        } catch let failure {
            let key: String
            switch failure {
            case .unreachable, .timedOut, .connectionClosed: key = "unreachable"
            case let .server(e, _):
                if e.message.contains("already") { return true }  // duplicate / nonce used: it is there
                key = String(e.message.prefix(40))
            default: key = "malformed"
            }
            rejections[key, default: 0] += 1
            return false
        }
    }

    private func poll(_ c: Int) async {
        guard let tx = clients[c].pending else { return }
        let address = Address(publicKey: clients[c].key.publicKey).description
        let node = clients[c].node
        // Commits are learnt from an honest node, whichever node took the transfer.
        let reader = honest.contains(node) ? node : honest[c % honest.count]
        let start = Date()
        let account = try? await nodes[reader].object("account", ["address": address], timeout: 2)
        if account != nil { recordLatency(since: start) }
        if let account, let nonce = account["nonce"]?.uint64Value, nonce > tx.nonce {
            confirmed.append(Confirmed(hash: tx.hash, client: c, nonce: tx.nonce, submittedAt: clients[c].firstSubmittedAt, at: Date()))
            clients[c].pending = nil
            clients[c].nextNonce = tx.nonce + 1
            return
        }
        if Date().timeIntervalSince(clients[c].submittedAt) > Self.resubmitAfter {
            clients[c].node = entry[((entry.firstIndex(of: node) ?? 0) + 1) % entry.count]
            await send(c)
        }
    }
}
