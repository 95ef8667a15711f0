import ArgumentParser
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import Wallet

/// `ledger-node load`: a testing tool that sends signed transfers from a funded key to a node's RPC.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Testing tool: send COUNT transfers from a funded key (e.g. a testnet's faucet.key) to a node's JSON-RPC.",
        discussion: """
            With --accounts 1 (default) transfers go out one after another from the funded key with consecutive nonces.
            With --accounts K > 1 the funded key first pays K fresh sender accounts (and waits until that commits);
            then all COUNT transfers are signed up front and sent by --concurrency workers (each owning some senders,
            so every sender's nonces arrive in order), up to --batch calls per JSON-RPC batch request.
            """)

    @Option(help: "The node's RPC URL, e.g. http://127.0.0.1:26700") var rpc: String
    @Option(name: .customLong("key-file"), help: "File holding the sender's 32-byte seed as hex (faucet.key).") var keyFile: String
    @Option(help: "How many transfers to send.") var count: Int = 100
    @Option(name: .customLong("chain-id"), help: "The chain id (default: ask the node).") var chainID: String?
    @Option(help: "Sender accounts funded first and used in parallel (1 = the funded key itself, sequentially).") var accounts: Int = 1
    @Option(help: "Concurrent sending workers (with --accounts > 1; default: min(accounts, 8)).") var concurrency: Int?
    @Option(help: "JSON-RPC calls per HTTP request (1...32, with --accounts > 1).") var batch: Int = 32
    @Option(help: "Distinct recipient addresses to pay (fresh keys).") var recipients: Int = 1000

    func run() async throws {
        let client: RPCClient
        do { client = try RPCClient(url: rpc, configuration: .init(requestTimeoutMs: 30_000)) } catch { fail("--rpc: \(error)") }
        let text = (try? String(contentsOfFile: keyFile, encoding: .utf8)) ?? ""
        guard let seed = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), let key = try? SigningKey(seed: seed) else {
            fail("\(keyFile) does not hold a 64-hex-character seed")
        }
        guard count >= 0, accounts >= 1, accounts <= 10_000, (1...32).contains(batch), recipients >= 1, recipients <= 1_000_000 else {
            fail("need --count ≥ 0, 1 ≤ --accounts ≤ 10000, 1 ≤ --batch ≤ 32, 1 ≤ --recipients ≤ 1000000")
        }
        let chain: String
        if let chainID { chain = chainID } else {
            guard let c = try await client.call("status")["chain_id"]?.stringValue else { fail("status did not answer a chain_id") }
            chain = c
        }
        if accounts == 1 {
            try await sequential(client: client, key: key, chain: chain)
        } else {
            try await parallel(client: client, faucet: key, chain: chain)
        }
    }

    private func sequential(client: RPCClient, key: SigningKey, chain: String) async throws {
        let sender = Address(publicKey: key.publicKey)
        var nonce = try await client.nonce(of: sender)
        let started = ContinuousClock.now
        var refused = 0
        for _ in 0..<count {
            let recipient = Address(publicKey: SigningKey.generate().publicKey)
            let tx = try Transaction.signed(chainID: chain, sender: key, recipient: recipient, amount: 1, nonce: nonce)
            do {
                _ = try await client.call("broadcast_tx_sync", .object([("tx", .string(Hex.encode(tx.encoded())))]))
                nonce += 1
            } catch {
                refused += 1
                if refused > 20 { fail("too many refusals; last: \(error)") }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        report(sent: count - refused, since: started, extra: "next nonce \(nonce)")
    }

    private func parallel(client: RPCClient, faucet: SigningKey, chain: String) async throws {
        let senders = (0..<accounts).map { _ in SigningKey.generate() }
        let pool = (0..<recipients).map { _ in Address(publicKey: SigningKey.generate().publicKey) }
        let perSender = (count + accounts - 1) / accounts
        // 1. Fund the senders from the faucet, in order, then wait until the last one is funded.
        var nonce = try await client.nonce(of: Address(publicKey: faucet.publicKey))
        let funding = try senders.map { s -> Transaction in
            defer { nonce += 1 }
            return try Transaction.signed(chainID: chain, sender: faucet, recipient: Address(publicKey: s.publicKey),
                                          amount: UInt64(perSender) * 10 + 1_000, nonce: nonce)
        }
        _ = try await client.sendAll(funding, batch: batch)
        let last = Address(publicKey: senders.last!.publicKey)
        let deadline = ContinuousClock.now + .seconds(120)
        while try await client.balance(of: last) == 0 {
            guard ContinuousClock.now < deadline else { fail("the \(accounts) sender accounts were not funded within 120 s") }
            try await Task.sleep(for: .milliseconds(100))
        }
        // 2. Sign everything up front, in parallel, each sender's transfers in nonce order.
        let signStart = ContinuousClock.now
        let remainder = count - perSender * (accounts - 1)
        let work: [[Transaction]] = try await withThrowingTaskGroup(of: (Int, [Transaction]).self) { group in
            for (i, s) in senders.enumerated() {
                let n = i == accounts - 1 ? max(0, remainder) : perSender
                group.addTask {
                    var txs: [Transaction] = []
                    txs.reserveCapacity(n)
                    for k in 0..<n {
                        txs.append(try Transaction.signed(chainID: chain, sender: s, recipient: pool[(i &* 7919 &+ k) % pool.count],
                                                          amount: 1, nonce: UInt64(k)))
                    }
                    return (i, txs)
                }
            }
            var out = [[Transaction]](repeating: [], count: accounts)
            for try await (i, txs) in group { out[i] = txs }
            return out
        }
        print("funded \(accounts) senders; signed \(work.reduce(0) { $0 + $1.count }) transfers in \(Self.seconds(since: signStart).formatted2) s")
        // 3. Send: each worker owns every `workers`-th sender and interleaves their chunks.
        let workers = max(1, min(concurrency ?? min(accounts, 8), accounts))
        let started = ContinuousClock.now
        let sent = try await withThrowingTaskGroup(of: Int.self) { group in
            for w in 0..<workers {
                let mine = stride(from: w, to: accounts, by: workers).map { work[$0] }
                let batch = self.batch
                group.addTask {
                    var total = 0
                    var offsets = [Int](repeating: 0, count: mine.count)
                    var active = true
                    while active {
                        active = false
                        for (j, txs) in mine.enumerated() where offsets[j] < txs.count {
                            active = true
                            let chunk = Array(txs[offsets[j]..<min(offsets[j] + batch, txs.count)])
                            let accepted = try await client.sendAll(chunk, batch: batch)
                            total += accepted
                            offsets[j] += chunk.count
                        }
                    }
                    return total
                }
            }
            var total = 0
            for try await n in group { total += n }
            return total
        }
        report(sent: sent, since: started, extra: "\(accounts) senders, \(workers) workers, \(batch) calls per request")
    }

    private func report(sent: Int, since started: ContinuousClock.Instant, extra: String) {
        let seconds = Self.seconds(since: started)
        print("sent \(sent) transfers in \(seconds.formatted2) s (\(String(format: "%.0f", Double(sent) / max(seconds, 0.001))) tx/s); \(extra)")
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

extension Double {
    var formatted2: String { String(format: "%.2f", self) }
}

/// The load command's calls, over the project's one JSON-RPC client.
extension RPCClient {
    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    func account(_ address: Address) async throws -> JSONValue {
        try await call("account", .object([("address", .string("\(address)"))]))
    }

    func nonce(of address: Address) async throws -> UInt64 {
        try await account(address)["nonce"]?.uint64Value ?? 0
    }

    func balance(of address: Address) async throws -> UInt64 {
        try await account(address)["balance"]?.uint64Value ?? 0
    }

    /// Sends `txs` in order with `broadcast_tx_sync`, `batch` calls per HTTP request. A call the node refuses
    /// as "not now" (busy, nonce gap: `RejectionMapping.retryDelayMs`) is sent again, with everything after it,
    /// after the delay it asks for; other refusals are counted and skipped. Returns how many were accepted.
    func sendAll(_ txs: [Transaction], batch: Int) async throws -> Int {
        var accepted = 0
        var start = 0
        var retries = 0
        var backoffMs: UInt64 = 100
        while start < txs.count {
            let chunk = txs[start..<min(start + batch, txs.count)]
            let outcomes = try await self.batch(chunk.map { tx in
                (method: "broadcast_tx_sync", params: JSONValue.object([("tx", .string(Hex.encode(tx.encoded())))]))
            })
            var resendFrom: Int?
            var waitMs: UInt64 = 0
            for (i, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success: accepted += 1
                case let .failure(e):
                    if let delay = RejectionMapping.retryDelayMs(for: e, backoffMs: backoffMs) {
                        resendFrom = i
                        waitMs = delay
                    }
                }
                if resendFrom != nil { break }
            }
            if let r = resendFrom {
                retries += 1
                if retries > 600 { throw LoadError(description: "the node kept refusing transfers as busy for 600 tries") }
                start += r
                backoffMs = min(backoffMs * 2, 1_000)
                try await Task.sleep(for: .milliseconds(Int64(waitMs)))
            } else {
                start += chunk.count
                backoffMs = 100
            }
        }
        return accepted
    }
}
