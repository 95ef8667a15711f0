import Adversary
import Foundation
import LedgerCore
import LedgerCrypto
import Wallet

/// The kinds of transaction that cannot succeed which the `futile-spam` client sends in turn.
enum FutileKind: String, CaseIterable, Sendable {
    /// Amount 0 from a funded key, at its next nonce.
    case zeroAmount = "zero-amount"
    /// A transfer from a key that never received anything.
    case unfunded
    /// Amount 0 from a key that never received anything (what used to create an account).
    case unfundedZero = "unfunded-zero"
    /// Another transaction with the (sender, nonce) of one the node holds.
    case nonceVariant = "nonce-variant"
}

/// What the futile-spam clients sent and what the nodes answered.
actor FutileSpamTally {
    private(set) var sent: [FutileKind: Int] = [:]
    private(set) var refusals: [String: Int] = [:]
    private(set) var admitted: [String] = []
    private(set) var hashes: Set<String> = []

    /// Records the node's answer to one futile transaction.
    func record(_ kind: FutileKind, _ tx: Transaction, _ error: RPCClientError?) {
        sent[kind, default: 0] += 1
        hashes.insert(tx.hash.hex)
        switch error {
        case nil: admitted.append("\(kind.rawValue) \(tx.hash.hex.prefix(12))")
        case let .server(e, _)?: refusals[e.reason ?? "code \(e.code)", default: 0] += 1
        case let e?: refusals["transport: \(e)".prefix(40).description, default: 0] += 1
        }
    }
}

extension Scenario {
    /// How long the futile-spam clients flood, seconds.
    static let futileSpamSeconds = 6.0

    /// The `futile-spam` script: two clients (one at n1, one at n2) each send, in turn, a zero
    /// amount, a transfer from a fresh never-funded key, a zero amount from one, and for a
    /// transfer the node just admitted from their own funded key, three variants with its
    /// (sender, nonce). None may be admitted or committed; the honest load runs throughout.
    static let futileSpam: @Sendable (FaultContext) async throws -> Void = { ctx in
        try await ctx.wait(1)
        let cluster = ctx.cluster
        let chainID = await cluster.genesis.chainID
        let clients = await cluster.clients
        let faucet = await cluster.testnet.faucetKey
        let targets = [1, 2]
        let spammers = try targets.map { _ in try SigningKey(seed: ctx.random.bytes32()) }
        try await fundSpammers(spammers, from: faucet, chainID: chainID, via: clients[1], check: targets.map { clients[$0] })
        let tally = FutileSpamTally()
        let seeds = targets.map { _ in ctx.random.next() }
        let started = Date()
        let deadline = started.addingTimeInterval(futileSpamSeconds)
        await withTaskGroup(of: Void.self) { group in
            for (i, node) in targets.enumerated() {
                let (spammer, seed, client) = (spammers[i], seeds[i], clients[node])
                group.addTask {
                    await spam(client: client, spammer: spammer, chainID: chainID, seed: seed, until: deadline, tally: tally)
                }
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        try await ctx.wait(3)  // anything admitted after all has had time to commit
        let chain = try await ChainSnapshot.fetch(node: 1, client: clients[1])
        let futile = await tally.hashes
        let committed = chain.blocks.flatMap { $0.txs.map(\.hash) }.filter { futile.contains($0) }
        let sent = await tally.sent
        let admitted = await tally.admitted
        let total = sent.values.reduce(0, +)
        let kinds = FutileKind.allCases.map { "\($0.rawValue) \(sent[$0] ?? 0)" }.joined(separator: ", ")
        let reasons = await tally.refusals.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
        ctx.measurements.append(String(format: "futile-spam: sent %d (%@) in %.1f s = %.0f/s; admitted %d, committed %d; refused: %@",
                                       total, kinds, elapsed, Double(total) / max(elapsed, 0.001), admitted.count, committed.count, reasons))
        await cluster.note(ctx.measurements.last ?? "")
        if total == 0 { ctx.findings.append("futile-spam sent nothing") }
        if !admitted.isEmpty { ctx.findings.append("\(admitted.count) futile transactions admitted, e.g. \(admitted.prefix(3))") }
        if !committed.isEmpty { ctx.findings.append("\(committed.count) futile transactions committed, e.g. \(committed.prefix(3).map { $0.prefix(12) })") }
    }

    /// Funds each spammer key from the faucet and waits until every node in `check` shows it.
    private static func fundSpammers(_ keys: [SigningKey], from faucet: SigningKey, chainID: String, via client: RPCClient,
                                     check: [RPCClient]) async throws {
        let faucetAddress = Address(publicKey: faucet.publicKey).description
        let account = try await client.object("account", ["address": faucetAddress])
        var nonce = account["nonce"]?.uint64Value ?? 0
        for key in keys {
            let tx = try Transaction.signed(chainID: chainID, sender: faucet, recipient: Address(publicKey: key.publicKey),
                                            amount: 1_000_000, nonce: nonce)
            try await client.call("broadcast_tx_sync", ["tx": Hex.encode(tx.encoded())], timeout: 3)
            nonce += 1
        }
        let deadline = Date().addingTimeInterval(15)
        for node in check {
            for key in keys {
                while try await node.object("account", ["address": Address(publicKey: key.publicKey).description])["balance"]?.uint64Value ?? 0 == 0 {
                    guard Date() < deadline else { throw RunnerError.setup("futile-spam: the spammers' funding did not commit within 15 s") }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    /// One spamming client: the futile kinds in turn at `client` until `deadline`.
    private static func spam(client: RPCClient, spammer: SigningKey, chainID: String, seed: UInt64, until deadline: Date,
                             tally: FutileSpamTally) async {
        var random = AdversaryRandom(seed: seed, label: "futile-spam")
        let sink = Address(publicKey: (try? SigningKey(seed: random.bytes32()))?.publicKey ?? spammer.publicKey)
        var nonce: UInt64 = 0
        func send(_ tx: Transaction) async -> RPCClientError? {
            do { try await client.call("broadcast_tx_sync", ["tx": Hex.encode(tx.encoded())], timeout: 3) } catch { return error }
            return nil
        }
        var turn = 0
        while Date() < deadline {
            let kind = FutileKind.allCases[turn % FutileKind.allCases.count]
            turn += 1
            do {
                switch kind {
                case .zeroAmount:
                    let tx = try Transaction.signed(chainID: chainID, sender: spammer, recipient: sink, amount: 0, nonce: nonce)
                    await tally.record(kind, tx, await send(tx))
                case .unfunded, .unfundedZero:
                    let stranger = try SigningKey(seed: random.bytes32())
                    let amount: UInt64 = kind == .unfunded ? 1 + UInt64(random.below(1_000)) : 0
                    let tx = try Transaction.signed(chainID: chainID, sender: stranger, recipient: sink, amount: amount, nonce: 0)
                    await tally.record(kind, tx, await send(tx))
                case .nonceVariant:
                    // A real transfer first; its variants count only while the node holds it (or has committed it).
                    let base = try Transaction.signed(chainID: chainID, sender: spammer, recipient: sink, amount: 1, nonce: nonce)
                    guard await send(base) == nil else { continue }
                    nonce += 1
                    for v in 0..<3 {
                        let variant = try Transaction.signed(chainID: chainID, sender: spammer, recipient: sink, amount: 2 + UInt64(v),
                                                             nonce: base.nonce, memo: [UInt8(v)])
                        await tally.record(kind, variant, await send(variant))
                    }
                }
            } catch {
                continue  // signing cannot fail for these fields
            }
        }
    }
}
