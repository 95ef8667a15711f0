import BenchSupport
import Foundation
import LedgerCore
import LedgerCrypto
import Node
import P2P

/// A Byzantine validator flooding an honest node with transaction gossip (decision 0009): with validator 3's
/// key (its process killed), sessions to node 0 send `transactions` frames of validly signed transfers as fast
/// as the link takes them. Two kinds, both valid-looking: transfers from fresh keys (valid signatures, senders
/// with no account: never admitted, so each replay costs a node that has no cheaper check another signature
/// check), and transfers from the faucet with nonces far ahead (they pass every check a gossip receiver can
/// make, are admitted and proposed, and fail at execution).
enum GossipFlood {
    /// Distinct transfers of each kind in the flood's pool (replayed in turn).
    static let freshKeyTransfers = 2_048
    static let farNonceTransfers = 2_048

    /// The `/metrics` series read from node 0 for peer 3.
    static let dropped = #"ledger_gossip_dropped_over_budget{peer="3"}"#
    static let checked = #"ledger_gossip_signature_checks{peer="3"}"#
    static let received = #"ledger_gossip_transactions_received{peer="3"}"#
    static let faulty = GossipFault.allCases.map { #"ledger_gossip_faulty_transactions{peer="3",reason=""# + $0.rawValue + #""}"# }
    /// The warning node 0 logs (rate limited) when a peer's gossip goes over its budget.
    static let overBudgetLogLine = "a peer's transaction gossip is over its budget"

    /// The script: kill n3, flood n0 for `seconds` as n3, restart n3; checks that n0 dropped the excess
    /// over n3's budget, checked no more of the flood's signatures than the budget allows, and logged it
    /// at most once per `NodeLimits.gossipBudgetLogIntervalMs`.
    static func script(seconds: Double) -> @Sendable (FaultContext) async throws -> Void {
        BatchFlood.asValidator3 { ctx, target in
            let (cluster, genesis, port, client, identity) = (target.cluster, target.genesis, target.port, target.client, target.identity)
            let frames = try makeFrames(chainID: genesis.chainID, faucet: await cluster.testnet.faucetKey)
            let names = Set([dropped, checked, received] + faulty)
            let before = await client.metrics(names) ?? [:]
            let rssBefore = await cluster.pid(0).flatMap(residentKiB)
            let cpuBefore = await cluster.pid(0).flatMap { ProcessSample.take(pid: $0) }
            let logLinesBefore = overBudgetLogLines(await cluster.logPath(0))
            let started = Date()
            let deadline = started.addingTimeInterval(seconds)
            var sessions = 0
            var framesSent = 0
            var peakRSS = rssBefore ?? 0
            while Date() < deadline {
                let sent = await withCheckedContinuation { (c: CheckedContinuation<Int?, Never>) in
                    DispatchQueue.global().async {
                        c.resume(returning: AuthenticatedFuzzer.stream(port: port, identity: identity, payloads: frames, until: deadline))
                    }
                }
                if let sent {
                    sessions += 1
                    framesSent += sent
                } else {
                    try await Task.sleep(for: .milliseconds(100))  // refused or closed: dial again
                }
                peakRSS = max(peakRSS, await cluster.pid(0).flatMap(residentKiB) ?? 0)
            }
            let elapsed = Date().timeIntervalSince(started)
            let cpuAfter = await cluster.pid(0).flatMap { ProcessSample.take(pid: $0) }
            var cpuShare: Double?
            if let a = cpuBefore, let b = cpuAfter { cpuShare = ProcessSample.cpuSeconds(from: a, to: b) / max(elapsed, 0.001) }
            try await ctx.wait(1)  // let n0's gossip lane drain before reading its counts
            let after = await client.metrics(names) ?? [:]
            func delta(_ name: String) -> Int { Int((after[name] ?? 0) - (before[name] ?? 0)) }
            let sent = framesSent * NodeLimits.gossipTransactionsPerFrame
            let droppedCount = delta(dropped)
            let checkedCount = delta(checked)
            let faultyCount = faulty.map(delta).reduce(0, +)
            let logLines = overBudgetLogLines(await cluster.logPath(0)) - logLinesBefore
            let measured = String(
                format: "gossip flood: %d sessions, %d frames (%d signed transfers, %.0f/s) to n0 as n3; n0 read %d of them, "
                    + "dropped %d over n3's budget (%.0f%% of those sent), checked %d signatures, counted %d as faulty, "
                    + "logged %d over-budget lines; n0 used %.0f%% of a core during the flood, RSS %d → peak %d KiB",
                sessions, framesSent, sent, Double(sent) / max(elapsed, 0.001), delta(received), droppedCount,
                100 * Double(droppedCount) / Double(max(sent, 1)), checkedCount, faultyCount, logLines, (cpuShare ?? -0.01) * 100,
                rssBefore ?? -1, peakRSS)
            await cluster.note(measured)
            ctx.measurements.append(measured)
            // What the budget allows over the flood (and the second after it): its burst plus its rate.
            let allowed = Int(Double(NodeLimits.gossipBudgetTransactionsPerSecond) * (elapsed + 1))
                + NodeLimits.gossipBudgetTransactionsPerSecond * NodeLimits.gossipBudgetBurstSeconds
            if sessions == 0 { ctx.findings.append("no flood session completed its handshake with n0") }
            if droppedCount <= 0 {
                ctx.findings.append("n0 counted none of the flood's \(sent) transactions as over n3's gossip budget (\(dropped))")
            }
            if checkedCount > allowed {
                ctx.findings.append("n0 checked \(checkedCount) signatures of n3's gossip in \(String(format: "%.1f", elapsed)) s, more than its budget allows (\(allowed))")
            }
            let logAllowance = Int(elapsed * 1_000) / Int(NodeLimits.gossipBudgetLogIntervalMs) + 2
            if logLines > logAllowance { ctx.findings.append("n0 logged \(logLines) over-budget lines in \(Int(elapsed)) s (rate limit: \(logAllowance))") }
        }
    }

    /// The pool as gossip frames of `gossipTransactionsPerFrame` transfers each: the fresh-key ones, then
    /// the far-nonce ones.
    static func makeFrames(chainID: String, faucet: SigningKey) throws -> [[UInt8]] {
        let recipient = Address(publicKey: SigningKey.generate().publicKey)
        let fresh = try (0..<freshKeyTransfers).map { _ in
            try Transaction.signed(chainID: chainID, sender: SigningKey.generate(), recipient: recipient, amount: 1, nonce: 0)
        }
        let far = try (0..<farNonceTransfers).map { i in
            try Transaction.signed(chainID: chainID, sender: faucet, recipient: recipient, amount: 1, nonce: 1_000_000 + UInt64(i))
        }
        return TransactionGossip.frames(fresh) + TransactionGossip.frames(far)
    }

    /// Over-budget warnings in a node's log so far.
    static func overBudgetLogLines(_ path: String) -> Int {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
        return text.components(separatedBy: overBudgetLogLine).count - 1
    }
}
