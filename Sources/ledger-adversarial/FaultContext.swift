import Adversary
import Foundation
import Wallet

/// What a scenario's fault script can do while the load runs: process and link faults on the
/// cluster, waiting, and marking the moment recovery is measured from.
final class FaultContext: @unchecked Sendable {
    // @unchecked: `heal` and `random` are touched only by the one task running the script.
    let cluster: Cluster
    let count: Int
    var random: AdversaryRandom
    /// When the last fault healed (recovery time is measured from here).
    private(set) var healedAt: Date?
    /// Problems the script found itself (fuzzing); reported as a validity failure.
    var findings: [String] = []
    /// Figures the script measured itself, printed under the scenario's table line.
    var measurements: [String] = []
    /// How the attacked node's RPC served honest callers (`slow-rpc-clients`, `slow-rpc-botnet`): `nil` when the script does not
    /// measure it, else the problems found (empty = it served them); the table's `rpc` column.
    var serviceFindings: [String]?

    init(cluster: Cluster, count: Int, random: AdversaryRandom) {
        self.cluster = cluster
        self.count = count
        self.random = random
    }

    /// Waits `seconds` of wall time.
    func wait(_ seconds: Double) async throws { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }

    /// Recovery is measured from now (call at the heal, or at a crash for "recovery after crash").
    func markRecoveryStart() async {
        healedAt = Date()
        await cluster.note("recovery measured from here")
    }

    /// Every directed link touching `node` (both directions).
    func linksOf(_ node: Int) -> [(Int, Int)] {
        (0..<count).filter { $0 != node }.flatMap { [(node, $0), ($0, node)] }
    }

    /// Links from `node` to everyone else.
    func linksFrom(_ node: Int) -> [(Int, Int)] { (0..<count).filter { $0 != node }.map { (node, $0) } }

    /// Links between the two sides.
    func linksBetween(_ a: [Int], _ b: [Int]) -> [(Int, Int)] {
        a.flatMap { x in b.flatMap { y in [(x, y), (y, x)] } }
    }

    /// Every directed link.
    var allLinks: [(Int, Int)] { (0..<count).flatMap { i in (0..<count).filter { $0 != i }.map { (i, $0) } } }

    /// Waits until `node`'s RPC answers `status` (after a restart), at most `seconds`.
    func waitUp(_ node: Int, seconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await cluster.clients[node].object("status", timeout: 1)) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RunnerError.setup("node\(node) did not answer status within \(Int(seconds)) s of its restart")
    }

    /// Waits until `node` reports a voting fence in `status` (it set damaged log records aside)
    /// and then until it votes again, each at most `seconds`; fails naming what it waited for.
    func waitVotingFencePassed(_ node: Int, seconds: Double = 60) async throws {
        func fence() async -> (answered: Bool, fence: UInt64?) {
            guard let s = try? await cluster.clients[node].object("status", timeout: 1) else { return (false, nil) }
            return (true, s["votes_withheld_until"]?.uint64Value)
        }
        let first = await fence()
        guard first.answered, let reported = first.fence else {
            throw RunnerError.tool("node\(node) reports no voting fence in status after its log was damaged")
        }
        await cluster.note("node\(node) withholds votes until checkpoint \(reported)")
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let now = await fence()
            if now.answered && now.fence == nil {
                await cluster.note("node\(node) votes again (fence \(reported) passed)")
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw RunnerError.tool("node\(node) still withholds votes \(Int(seconds)) s after its restart (fence \(reported), height \(await height(node).map(String.init) ?? "?"))")
    }

    /// Waits until `node`'s `net_info` shows an established inbound connection from `peer`, at most `seconds`.
    func waitInbound(at node: Int, from peer: Int, seconds: Double) async throws {
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        while Date() < deadline {
            let peers = (try? await cluster.clients[node].object("net_info", timeout: 1))?["peers"]?.arrayValue ?? []
            if peers.contains(where: { $0["id"]?.uint64Value == UInt64(peer) && $0["inbound"]?.boolValue == true }) {
                await cluster.note("node\(node) has node\(peer)'s inbound connection after \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RunnerError.tool("node\(node) has no inbound connection from node\(peer) \(Int(seconds)) s after its restart")
    }

    /// `node`'s height, or `nil` when it does not answer.
    func height(_ node: Int) async -> UInt64? {
        (try? await cluster.clients[node].object("status", timeout: 1))?["height"]?.uint64Value
    }
}
