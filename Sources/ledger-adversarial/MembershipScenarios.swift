import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import Node

// Validator-set changes under load (decision 0038): what the operators do with `ledger-node validators change`,
// done by the fault script with the nodes' own key files, while honest clients send transfers. The runner's checks
// (one history, every confirmed transfer on every honest node, progress) apply to every node, the full node that
// joins and the validator that leaves included; the script fails the scenario when a change does not take effect
// as the operators were told.

/// Why a membership script failed (the scenario's liveness verdict names it).
struct MembershipFailure: Error, CustomStringConvertible {
    let description: String
}

extension Scenario {
    /// The catalog's membership scenarios (after `full-node-client-crash` in `catalog`).
    static let membership: [Scenario] = [
        Scenario(name: "add-validator", summary: "A full node (node 4) is added to the four validators under load: three of four approve, the change is submitted to n1, and at the epoch boundary the full node starts voting. Then n3 is killed: with five validators the quorum is four, so blocks commit only if the new validator's votes count. Measures the time from the change's commit to the first block above the boundary (ordered by the new set).",
                 role: "n4 joins", faults: "add n4 (3/4 approve), kill -9 n3", restartsNodes: [3], fullNode: true,
                 script: addValidator),
        Scenario(name: "remove-validator", summary: "n3 is removed under load (three of four approve; the set keeps four after the full node joined first). Proves the removed validator stops voting at the boundary, says so, and follows the chain as a full node on the same history, while the others go on.",
                 role: "n3 leaves", faults: "add n4, remove n3", fullNode: true, script: removeValidator),
        Scenario(name: "rotate-primary-key", summary: "The primary's key is rotated under load without a restart: its operator places the new key beside the old one (node_key.next.json), three of four approve, and at the boundary n0 signs with the new key. Then n1 is killed: three of four are left, so blocks commit only if n0's new-key votes count.",
                 role: "n0 primary re-keyed", faults: "rotate n0's key, kill -9 n1", restartsNodes: [1], script: rotatePrimaryKey),
        Scenario(name: "conflicting-change", summary: "n3 (a Byzantine validator's key) signs a change that hands n0's place to a key of its own and submits it with its one approval while the honest operators' change adding the full node (three approvals) goes in. Proves a change without a quorum is refused by every node with its reason (not_approved), the approved one takes effect, and no node applies the other.",
                 role: "n3 key signs a rival change", faults: "rival change (1/4 approve)", usesValidatorKey: true, fullNode: true,
                 script: conflictingChange),
        Scenario(name: "down-across-boundary", summary: "n3 is killed before a change adding the full node commits and restarted after the boundary. Proves it finishes its old epoch from the others' retired replicas, switches to the new set and catches up on the same history.",
                 role: "n3 down across the change", faults: "kill -9 n3, add n4, restart n3", restartsNodes: [3], fullNode: true,
                 script: downAcrossBoundary),
    ]

    private static let addValidator: @Sendable (FaultContext) async throws -> Void = { ctx in
        try await ctx.wait(2)
        try await Membership.change(ctx, epoch: 0, operations: [Membership.addFullNode(ctx)], approvers: [0, 1, 2], via: 1)
        try await Membership.waitRole(ctx, node: 4, "validator")
        await ctx.cluster.kill9(3)
        await ctx.markRecoveryStart()
        let before = await ctx.height(0) ?? 0
        try await Membership.waitHeight(ctx, nodes: [0, 1, 2, 4], above: before + 5, what: "blocks with n3 down (n4's votes count)")
        try await ctx.cluster.start(3)
        try await ctx.waitUp(3)
    }

    private static let removeValidator: @Sendable (FaultContext) async throws -> Void = { ctx in
        try await ctx.wait(2)
        try await Membership.change(ctx, epoch: 0, operations: [Membership.addFullNode(ctx)], approvers: [0, 1, 2], via: 1)
        let three = try Membership.key(ctx, 3).publicKey
        try await Membership.change(ctx, epoch: 1, operations: [.remove(publicKey: three)], approvers: [0, 1, 2, 4], via: 2)
        try await Membership.waitRole(ctx, node: 3, "full")
        try await Membership.waitLog(ctx, node: 3, "this validator's key left the validator set")
        await ctx.markRecoveryStart()
    }

    private static let rotatePrimaryKey: @Sendable (FaultContext) async throws -> Void = { ctx in
        try await ctx.wait(2)
        let next = NodeKey.generate()
        let home = ctx.cluster.homes[0]
        try next.write(path: (home as NSString).appendingPathComponent(NodeHome.nextKeyFileName))
        let old = try Membership.key(ctx, 0).publicKey
        try await Membership.change(ctx, epoch: 0, operations: [.rotate(old: old, new: next.signingKey.publicKey)],
                                    approvers: [1, 2, 3], via: 2)
        try await Membership.waitLog(ctx, node: 0, "this validator's key was rotated")
        await ctx.cluster.kill9(1)
        await ctx.markRecoveryStart()
        let before = await ctx.height(0) ?? 0
        try await Membership.waitHeight(ctx, nodes: [0, 2, 3], above: before + 5, what: "blocks with n1 down (n0's new key counts)")
        try await ctx.cluster.start(1)
        try await ctx.waitUp(1)
    }

    private static let conflictingChange: @Sendable (FaultContext) async throws -> Void = { ctx in
        try await ctx.wait(2)
        let zero = try Membership.key(ctx, 0).publicKey
        let genesis = await ctx.cluster.genesis
        // Hands n0's place to a key the attacker holds: a set of four, so only the approvals can refuse it.
        let attacker = SigningKey.generate().publicKey
        var rival = try ValidatorSetChange(chainID: genesis.chainID, epoch: 0, operations: [.rotate(old: zero, new: attacker)])
        rival = rival.approved(by: try Membership.key(ctx, 3))
        for node in [0, 1, 2] {
            do {
                try await Membership.submit(ctx, rival, via: node)
                throw MembershipFailure(description: "n\(node) admitted a change approved by one validator of four")
            } catch let error as MembershipFailure where error.description.contains("approved; the quorum is") {
                continue
            }
        }
        try await Membership.change(ctx, epoch: 0, operations: [Membership.addFullNode(ctx)], approvers: [0, 1, 2], via: 1)
        for node in [0, 1, 2, 3, 4] {
            let set = try await Membership.validators(ctx, node)
            guard set.keys.contains(zero), !set.keys.contains(attacker), set.keys.count == 5 else {
                throw MembershipFailure(description: "n\(node)'s set after the change is not the approved one: \(set.keys.count) validators")
            }
        }
        await ctx.markRecoveryStart()
    }

    private static let downAcrossBoundary: @Sendable (FaultContext) async throws -> Void = { ctx in
        try await ctx.wait(2)
        await ctx.cluster.kill9(3)
        try await Membership.change(ctx, epoch: 0, operations: [Membership.addFullNode(ctx)], approvers: [0, 1, 2], via: 1)
        try await ctx.wait(2)
        try await ctx.cluster.start(3)
        await ctx.markRecoveryStart()
        try await ctx.waitUp(3)
        let target = await ctx.height(0) ?? 0
        try await Membership.waitHeight(ctx, nodes: [3], above: target, what: "n3 caught up past the boundary")
        try await Membership.waitRole(ctx, node: 3, "validator")
    }
}

/// The operators' steps, done with the nodes' key files over their RPC.
enum Membership {
    /// How long a change may take from submission to its boundary being passed on every node asked.
    static let boundarySeconds: Double = 90

    /// Node `i`'s key (from its home's key file).
    static func key(_ ctx: FaultContext, _ i: Int) throws -> SigningKey {
        try NodeKey.load(path: homeFile(ctx, i, "node_key.json")).signingKey
    }

    private static func homeFile(_ ctx: FaultContext, _ i: Int, _ name: String) -> String {
        // `homes` is fixed when the cluster is made.
        (ctx.cluster.homes[i] as NSString).appendingPathComponent(name)
    }

    /// The operation adding the full node (node 4) with its key and the P2P address it listens on.
    static func addFullNode(_ ctx: FaultContext) throws -> ValidatorSetChange.Operation {
        let config = try NodeConfig.load(path: homeFile(ctx, 4, NodeHome.configFileName))
        return .add(publicKey: try key(ctx, 4).publicKey, p2pAddress: config.p2pListen, rpcAddress: nil)
    }

    /// Builds a change for `epoch`, approves it with `approvers`' keys, submits it to `via`, waits until every node
    /// shows it pending, then until the chain passes its boundary on every node that votes afterwards; notes the time
    /// from submission to the first block above the boundary.
    static func change(_ ctx: FaultContext, epoch: UInt64, operations: [ValidatorSetChange.Operation], approvers: [Int], via: Int)
        async throws {
        let genesis = await ctx.cluster.genesis
        var change = try ValidatorSetChange(chainID: genesis.chainID, epoch: epoch, operations: operations)
        for i in approvers { change = change.approved(by: try key(ctx, i)) }
        let started = Date()
        try await submit(ctx, change, via: via)
        let boundary = try await pendingBoundary(ctx, node: via)
        let committed = Date()
        try await waitHeight(ctx, nodes: [via], above: boundary, what: "the first block above the boundary \(boundary)")
        let first = Date()
        ctx.measurements.append(String(format: "change %@: pending after %.2f s, first block above the boundary %llu %.2f s after that",
                                       String(change.id.hex.prefix(12)), committed.timeIntervalSince(started), boundary,
                                       first.timeIntervalSince(committed)))
        await ctx.cluster.note("change \(change.id.hex.prefix(12)) took effect after block \(boundary)")
    }

    /// Submits `change` to node `via` (`broadcast_change`); a refusal throws with the node's reason.
    static func submit(_ ctx: FaultContext, _ change: ValidatorSetChange, via: Int) async throws {
        let client = ctx.cluster.clients[via]
        do {
            _ = try await client.call("broadcast_change", .object([("change", .string(Hex.encode(change.encoded())))]), timeoutMs: 5_000)
        } catch {
            throw MembershipFailure(description: "n\(via) refused change \(change.id.hex.prefix(12)): \(error)")
        }
    }

    /// Waits until node `node`'s `validators` shows a pending change; returns its last block of the epoch.
    static func pendingBoundary(_ ctx: FaultContext, node: Int) async throws -> UInt64 {
        let deadline = Date().addingTimeInterval(30)
        let client = ctx.cluster.clients[node]
        while Date() < deadline {
            if let answer = try? await client.object("validators", timeout: 2),
               let end = answer["pending_change"]?["last_height_of_epoch"]?.stringValue.flatMap(UInt64.init) {
                return end
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw MembershipFailure(description: "n\(node) showed no pending change within 30 s of its submission")
    }

    /// Waits until every node of `nodes` is above `height`.
    static func waitHeight(_ ctx: FaultContext, nodes: [Int], above height: UInt64, what: String) async throws {
        let deadline = Date().addingTimeInterval(boundarySeconds)
        while Date() < deadline {
            var all = true
            for node in nodes where (await ctx.height(node) ?? 0) <= height { all = false }
            if all { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw MembershipFailure(description: "timed out after \(Int(boundarySeconds)) s waiting for \(what) on \(nodes)")
    }

    /// Waits until node `node`'s `status` says `role`.
    static func waitRole(_ ctx: FaultContext, node: Int, _ role: String) async throws {
        let deadline = Date().addingTimeInterval(boundarySeconds)
        let client = ctx.cluster.clients[node]
        while Date() < deadline {
            if (try? await client.object("status", timeout: 2))?["role"]?.stringValue == role { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw MembershipFailure(description: "n\(node) did not become a \(role) within \(Int(boundarySeconds)) s")
    }

    /// Waits until node `node`'s log holds `text`.
    static func waitLog(_ ctx: FaultContext, node: Int, _ text: String) async throws {
        let deadline = Date().addingTimeInterval(boundarySeconds)
        let path = await ctx.cluster.logPath(node)
        while Date() < deadline {
            if let log = try? String(contentsOfFile: path, encoding: .utf8), log.contains(text) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw MembershipFailure(description: "n\(node)'s log did not say \"\(text)\" within \(Int(boundarySeconds)) s")
    }

    /// Node `node`'s current set (`validators` RPC): its keys in order.
    static func validators(_ ctx: FaultContext, _ node: Int) async throws -> (epoch: String, keys: [PublicKey]) {
        let client = ctx.cluster.clients[node]
        let answer = try await client.object("validators", timeout: 3)
        let keys = (answer["validators"]?.arrayValue ?? []).compactMap { $0["public_key"]?.stringValue.flatMap { try? PublicKey(hex: $0) } }
        return (answer["epoch"]?.stringValue ?? "?", keys)
    }
}
