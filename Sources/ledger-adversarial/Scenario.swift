import Foundation
import LedgerCore
import LedgerCrypto
import Node
import P2P
import Wallet

/// One entry of the catalog: who is Byzantine, what the fault script does while honest clients
/// send transfers, and what a pass proves.
struct Scenario: Sendable {
    /// Name on the command line (`--scenario NAME`).
    var name: String
    /// What it does and what passing proves (printed by `--list`, used in docs/adversarial.md).
    var summary: String
    /// Byzantine nodes and their `--byzantine` strategies.
    var byzantine: [Int: String] = [:]
    /// Byzantine nodes started with `--collude`.
    var colluding: Set<Int> = []
    /// Table cell: Byzantine node and role ("n0 primary").
    var role: String = "-"
    /// Table cell: injected faults.
    var faults: String = "-"
    /// Part of `--quick`.
    var quick = false
    /// The checks must FAIL (the f + 1 self-test); the run fails if they all pass.
    var expectFailure = false
    /// Nodes that must show up in `evidence`.
    var equivocators: [Int] = []
    /// Checkpoint interval of this scenario's genesis (window = 4×).
    var checkpointInterval: UInt64 = 10
    /// Initial view-change timeout of this scenario's genesis (1 s keeps runs short; `ledger-node testnet`'s default is 2 s).
    var viewChangeTimeoutMs: UInt64 = 1_000
    /// Why "throughput under attack as a share of fault-free" says nothing about this scenario
    /// (the table shows `n/a` and the reason), or `nil` when it is Aardvark's measure.
    var throughputShareNotApplicable: String?
    /// Nodes the clients send their transfers to (`nil`: the honest nodes).
    var clientEntry: [Int]?
    /// Passes only if the honest nodes end in a view no higher than this (`nil`: no bound).
    var maxViewChanges: UInt64?
    /// Passes only if each honest node's outbound frames and bytes per second during the fault
    /// script stay within this multiple of the baseline's (`nil`: no bound; needs `baseline` in
    /// the same run).
    var maxOutboundShare: Double?
    /// When set, honest clients' p99 latency during the fault script may be at most this multiple of the
    /// baseline's in the same run (the `rpc` verdict fails otherwise; not compared without a baseline).
    var maxClientP99OfBaseline: Double?
    /// The attack holds a validator's key without a `--byzantine` process (a fuzzer or flooder speaking as it):
    /// held to the Byzantine scenarios' bar (`minimumSaturationShareUnderByzantine`).
    var usesValidatorKey = false
    /// `true` when a Byzantine validator (a process or a key) takes part.
    var hasByzantineValidator: Bool { !byzantine.isEmpty || usesValidatorKey }
    /// Nodes whose processes the fault script kills or stops: the open-loop load (`--saturate`)
    /// neither sends to them nor reads its chain from them (none left: the load does not run).
    var restartsNodes: Set<Int> = []
    /// Runs a full node beside the four validators (node 4; its chain is checked like an honest validator's).
    var fullNode = false
    /// Why the scenario runs on loopback only (its attacker dials the nodes on 127.0.0.1 from other 127.0.0.x
    /// addresses), or `nil`: with `--netns`, `all` leaves it out and naming it is refused.
    var loopbackOnly: String?
    /// The fault script (runs while the load runs; returns when everything is healed).
    var script: @Sendable (FaultContext) async throws -> Void = { try await $0.wait(8) }
}

extension Scenario {
    /// With `--saturate`, a scenario with a Byzantine node fails (`bound`) when its open-loop throughput is below
    /// this share of the baseline's at the same offered load (Aardvark's bar).
    static let minimumSaturationShareUnderByzantine = 0.5

    /// The whole catalog, in the order `all` runs it. `baseline` comes first: the others'
    /// throughput is reported as a share of it.
    static let catalog: [Scenario] = [
        Scenario(name: "baseline", summary: "No faults: four honest nodes under load. Every check passes and gives the fault-free throughput.",
                 quick: true),
        byzantineOnly("equivocate-primary", node: 0, strategy: "equivocate", role: "n0 primary", quick: true, equivocators: [0],
                      summary: "The primary sends different batches for the same sequence number to the two halves of the backups. Proves no honest node commits conflicting blocks, the equivocation is reported as evidence, and the honest node that saw the losing batch catches up."),
        byzantineOnly("equivocate-backup", node: 2, strategy: "equivocate", role: "n2 backup (v2 primary)",
                      summary: "An equivocator waiting to become primary (view 2). Proves a dormant equivocator is harmless."),
        byzantineOnly("silent-backup", node: 2, strategy: "silent", role: "n2 backup", quick: true,
                      summary: "A backup that is connected but sends nothing. Proves the 2f+1 remaining replicas commit on their own."),
        byzantineOnly("silent-primary", node: 0, strategy: "silent", role: "n0 primary",
                      summary: "A primary that is connected but mute. Proves backups time out, change view and commit the pending transfers."),
        byzantineOnly("slow-primary", node: 0, strategy: "slow-primary", role: "n0 primary",
                      summary: "The primary holds each proposal to just under the view-change timeout. Measures how much throughput a slow primary costs (Aardvark's metric)."),
        byzantineOnly("double-vote", node: 1, strategy: "double-vote", role: "n1 backup",
                      summary: "A backup signs conflicting PREPAREs/COMMITs for one slot. Proves one double voter cannot fork the honest replicas. (Evidence is not required: each honest node sees only one of the two votes unless certificates carry the other; seen in 1 of 2 runs.)"),
        byzantineOnly("bad-signature", node: 1, strategy: "bad-signature", role: "n1 backup",
                      summary: "Every message has an invalid signature. Proves verification drops them and the rest commit."),
        byzantineOnly("forge-sender", node: 3, strategy: "forge-sender", role: "n3 backup",
                      summary: "Signs with its own key under other replicas' ids. Proves forged messages never count toward a quorum."),
        byzantineOnly("replay", node: 2, strategy: "replay", role: "n2 backup",
                      summary: "Re-sends old messages. Proves duplicates and stale messages are no-ops."),
        byzantineOnly("flood", node: 3, strategy: "flood", role: "n3 backup",
                      summary: "Floods stale views and sequence numbers beyond the watermarks. Proves bounded state and continued progress."),
        byzantineOnly("invalid-tx", node: 0, strategy: "invalid-tx", role: "n0 primary",
                      summary: "The primary proposes batches with an invalid transaction. Proves backups refuse them, change view, and no invalid transfer is committed."),
        byzantineOnly("censor", node: 0, strategy: "censor", role: "n0 primary",
                      summary: "The primary never proposes one client's transfers. Proves backups holding them replace the primary."),
        Scenario(name: "selective-gossip", summary: "Clients send their transfers to n1, which gossips them to the backups only, never to the primary. Proves backups relay held transfers to the primary before suspecting it: no view change is forced (views 0).",
                 byzantine: [1: "selective-gossip"], role: "n1 backup (clients' node)", clientEntry: [1], maxViewChanges: 0),
        Scenario(name: "reply-reflection", summary: "n2 replays the other validators' signed STATUS, VIEW-CHANGE and BATCH-FETCH messages to the honest nodes and sends its own STATUS claiming it executed nothing, four times over. Proves replies are bound to the signer's link and rate limited: each honest node's outbound frames and bytes per second stay within 3x the baseline's.",
                 byzantine: [2: "status-replay"], role: "n2 backup", maxOutboundShare: 3),
        byzantineOnly("corrupt-checkpoint", node: 3, strategy: "corrupt-checkpoint", role: "n3 backup", checkpointInterval: 5,
                      summary: "CHECKPOINTs with wrong block hashes. Proves checkpoints still stabilise on the honest hash."),
        Scenario(name: "fake-prepared", summary: "n1 puts forged prepared certificates in its VIEW-CHANGE while the primary is cut off for 4 s. Proves the new view ignores them.",
                 byzantine: [1: "fake-prepared"], role: "n1 backup", faults: "isolate n0 4s",
                 script: isolate(0, for: 4)),
        Scenario(name: "bad-new-view", summary: "n1 (primary of view 1) sends a NEW-VIEW with a wrong O set after the view-0 primary is cut off for 4 s. Proves backups reject it and move to view 2.",
                 byzantine: [1: "bad-new-view"], role: "n1 next primary", faults: "isolate n0 4s",
                 script: isolate(0, for: 4)),
        Scenario(name: "amnesia", summary: "n3 is killed twice and restarted without its consensus log (it may contradict what it signed). Proves the honest replicas stay consistent.",
                 byzantine: [3: "amnesia"], role: "n3 backup", faults: "kill -9 + erase log ×2",
                 script: { ctx in
                     for _ in 0..<2 {
                         try await ctx.wait(2.5)
                         await ctx.cluster.kill9(3)
                         try await ctx.cluster.eraseLog(3)
                         try await ctx.cluster.start(3)
                         try await ctx.waitUp(3)
                     }
                     try await ctx.wait(2)
                 }),
        Scenario(name: "crash-primary", summary: "kill -9 of the primary, restart 6 s later, with the default 2 s view-change timeout. Proves a view change keeps commits going, the restarted node catches up, and measures recovery after a primary crash (from the kill until a transfer sent after it commits).",
                 faults: "kill -9 n0 +6s (VC 2s)", quick: true, viewChangeTimeoutMs: 2_000,
                 restartsNodes: [0], script: crash(0, restartAfter: 6, recoveryFrom: .kill)),
        Scenario(name: "crash-backup", summary: "kill -9 of a backup, restart 6 s later. Proves the others go on and the backup catches up.",
                 faults: "kill -9 n2, restart +6s",
                 restartsNodes: [2], script: crash(2, restartAfter: 6, recoveryFrom: .restart)),
        Scenario(name: "full-node-killed", summary: "A full node (node 4) follows the chain; it is killed (kill -9) under load and restarted 4 s later. Proves the validators carry on unaffected and the full node catches up to the same chain, every block's certificate checked on it like on a validator.",
                 role: "n4 full node", faults: "kill -9 n4 (full), restart +4s",
                 restartsNodes: [4], fullNode: true, script: crash(4, restartAfter: 4, recoveryFrom: .restart)),
        Scenario(name: "full-node-client-crash", summary: "Every client sends its transfers to the full node (node 4), which relays them, while the primary is killed (kill -9) and restarted 6 s later. Proves a client of a full node sees its transfers commit across a validator crash and view change, and the full node holds the same chain.",
                 role: "n4 full node (clients' node)", faults: "clients → n4; kill -9 n0 +6s (VC 2s)", viewChangeTimeoutMs: 2_000,
                 clientEntry: [4], restartsNodes: [0], fullNode: true, script: crash(0, restartAfter: 6, recoveryFrom: .kill)),
    ] + membership + [
        Scenario(name: "pause-primary", summary: "SIGSTOP the primary for 6 s, then SIGCONT. Proves a frozen primary is replaced and rejoins without harm.",
                 faults: "SIGSTOP n0 6s",
                 restartsNodes: [0], script: { ctx in
                     try await ctx.wait(2)
                     await ctx.cluster.pause(0)
                     try await ctx.wait(6)
                     await ctx.cluster.resume(0)
                     await ctx.markRecoveryStart()
                 }),
        Scenario(name: "partition-primary", summary: "The primary is cut off in both directions for 6 s, then the links heal. Proves a view change, then the old primary rejoins.",
                 faults: "isolate n0 6s", quick: true, script: isolate(0, for: 6)),
        Scenario(name: "partition-backup", summary: "A backup is cut off for 6 s: it times out and asks for a new view alone, refusing client transfers as busy meanwhile. Proves the others go on, and that after the heal it abandons its lone view change, follows the others' view and catches up (n3 back within 10 s).",
                 faults: "isolate n3 6s", quick: true, script: loneBackup(3, for: 6)),
        Scenario(name: "one-way-primary", summary: "The primary hears everyone but nobody hears it, for 6 s. Proves backups change view on a one-way partition.",
                 faults: "n0→* blackholed 6s",
                 script: { ctx in
                     try await ctx.wait(2)
                     await ctx.cluster.setLinks(ctx.linksFrom(0), mode: .blackhole)
                     try await ctx.wait(6)
                     await ctx.cluster.healLinks()
                     await ctx.markRecoveryStart()
                 }),
        Scenario(name: "split-brain", summary: "Two halves {0,1} | {2,3} for 6 s: no side has a quorum. Proves neither side forks the chain and progress resumes after the heal with one history.",
                 faults: "{0,1}|{2,3} 6s",
                 throughputShareNotApplicable: "no side holds a quorum for 6 s by design, so no protocol may commit then; the share only measures the partition's length (recovery is the measure here)",
                 script: { ctx in
                     try await ctx.wait(2)
                     await ctx.cluster.setLinks(ctx.linksBetween([0, 1], [2, 3]), mode: .blackhole)
                     try await ctx.wait(6)
                     await ctx.cluster.healLinks()
                     await ctx.markRecoveryStart()
                 }),
        Scenario(name: "slow-links", summary: "300 ms on every link out of the primary for 6 s. Proves correctness under delay and measures its cost.",
                 faults: "n0→* +300ms 6s",
                 script: { ctx in
                     try await ctx.wait(2)
                     await ctx.cluster.setLinks(ctx.linksFrom(0), mode: .pass, delayMs: 300)
                     try await ctx.wait(6)
                     await ctx.cluster.healLinks()
                     await ctx.markRecoveryStart()
                 }),
        Scenario(name: "link-resets", summary: "Seeded random connection resets (one link every 500 ms) for 6 s. Proves retransmission makes lost frames cost time only.",
                 faults: "random resets 6s",
                 script: { ctx in
                     try await ctx.wait(1)
                     let links = ctx.allLinks
                     for _ in 0..<12 {
                         await ctx.cluster.resetLinks([links[ctx.random.below(links.count)]])
                         try await ctx.wait(0.5)
                     }
                     await ctx.markRecoveryStart()
                 }),
        Scenario(name: "torn-log", summary: "kill -9 a backup, cut its last consensus-log row in half, restart. Proves the unreadable record is set aside (a copy kept), the node withholds its votes until its stable checkpoint passes the voting fence, then votes again.",
                 faults: "kill -9 n1 + torn log row",
                 restartsNodes: [1], script: damageLogAndRestart(1) { try await $0.tearLastLogRecord(1) }),
        Scenario(name: "p2p-connection-flood", summary: "Strangers on 8 loopback addresses keep 200 idle connections open to n0's P2P port (re-opening each one n0 closes) while n1 is killed and restarted. Proves validators never compete with strangers for connection slots: n1 is connected to n0 again within 5 s of answering RPC after its restart, and n0 keeps committing.",
                 faults: "200 idle conns → n0, kill -9 n1",
                 restartsNodes: [1], loopbackOnly: "its attacker dials 127.0.0.1 from 127.0.0.x source addresses", script: { ctx in
                     let flood = ConnectionFlood(port: ctx.cluster.ports.p2p(0), sources: (2...9).map { "127.0.0.\($0)" }, count: 200)
                     flood.start()
                     do {
                         try await ctx.wait(2)
                         await ctx.cluster.kill9(1)
                         try await ctx.wait(1)
                         try await ctx.cluster.start(1)
                         await ctx.markRecoveryStart()
                         try await ctx.waitUp(1)
                         try await ctx.waitInbound(at: 0, from: 1, seconds: 5)
                         let counts = flood.counts
                         await ctx.cluster.note("flood: \(counts.opened) connections opened, \(counts.failed) refused or failed, \(counts.openNow) open now")
                     } catch {
                         await flood.stop()
                         throw error
                     }
                     await flood.stop()
                 }),
        Scenario(name: "batch-flood", summary: "A Byzantine validator (n3's key, its process killed) sends n0 unwanted FETCHED-BATCHes of validly signed transfers, replayed COMMITTED-BATCHes and 1 MiB garbage frames as fast as the link takes them for 8 s. Proves batches the replica would drop are dropped before their signatures are checked, n0's memory stays bounded, and the others keep committing.",
                 role: "n3 (key only)", faults: "kill n3, batch flood → n0", usesValidatorKey: true, restartsNodes: [3],
                 loopbackOnly: "its attacker dials 127.0.0.1 from 127.0.0.x source addresses", script: BatchFlood.script(seconds: 8)),
        Scenario(name: "gossip-flood", summary: "A Byzantine validator (n3's key, its process killed) floods n0 with transaction gossip for 8 s, as fast as the link takes it: validly signed transfers from fresh keys (no account: never admitted, so each replay costs a signature check wherever nothing cheaper stops it) and from the faucet with nonces far ahead (they pass every check a gossip receiver can make). Proves the per-peer gossip budget drops the excess undecoded and counts it on /metrics (ledger_gossip_dropped_over_budget{peer=\"3\"} > 0), n0 checks no more of the flood's signatures than the budget allows and logs the drops at most every 5 s, and honest clients' transfers still commit (tput%; sat% with --saturate).",
                 role: "n3 (key only)", faults: "kill n3, gossip flood → n0", usesValidatorKey: true, restartsNodes: [3],
                 loopbackOnly: "its attacker dials 127.0.0.1 from 127.0.0.x source addresses", script: GossipFlood.script(seconds: 8)),
        Scenario(name: "damaged-log", summary: "kill -9 a backup, make two records in the middle of its consensus log unreadable, restart. Proves damage anywhere is never silent amnesia: the node sets the records aside, signs no vote until its stable checkpoint passes the voting fence, then votes again, and no honest node forks.",
                 faults: "kill -9 n1 + bad log rows",
                 restartsNodes: [1], script: damageLogAndRestart(1) { try await $0.damageMiddleLogRecords(1) }),
        Scenario(name: "state-transfer-kill", summary: "A backup is down while the others pass several checkpoints, restarts, is killed again DURING state transfer, restarts again. Proves an interrupted transfer resumes and ends on the same chain.",
                 faults: "kill -9 n3 ×2 (mid-transfer)", checkpointInterval: 5,
                 restartsNodes: [3], script: { ctx in
                     try await ctx.wait(1)
                     let before = await ctx.height(3) ?? 0
                     await ctx.cluster.kill9(3)
                     try await ctx.wait(8)
                     try await ctx.cluster.start(3)
                     // Kill it as soon as it has fetched something but is not yet at the others' height.
                     let target = await ctx.height(0) ?? 0
                     let deadline = Date().addingTimeInterval(10)
                     while Date() < deadline {
                         if let h = await ctx.height(3), h > before, h < target { break }
                         try await Task.sleep(for: .milliseconds(30))
                     }
                     await ctx.cluster.kill9(3)
                     try await ctx.wait(1)
                     try await ctx.cluster.start(3)
                     await ctx.markRecoveryStart()
                     try await ctx.waitUp(3)
                 }),
        Scenario(name: "restart-all", summary: "kill -9 of all four nodes at once, then restart. Proves every confirmed transfer survives (durability) and the network resumes.",
                 faults: "kill -9 all, restart",
                 restartsNodes: [0, 1, 2, 3], script: { ctx in
                     try await ctx.wait(4)
                     for i in 0..<ctx.count { await ctx.cluster.kill9(i) }
                     try await ctx.wait(1)
                     for i in 0..<ctx.count { try await ctx.cluster.start(i) }
                     await ctx.markRecoveryStart()
                     for i in 0..<ctx.count { try await ctx.waitUp(i) }
                 }),
        Scenario(name: "fuzz", summary: "Seeded hostile inputs while the load runs: 300 raw/mutated handshake connections to n1's p2p port, 300 malformed JSON-RPC bodies to n1, 200 mutated signed transactions to n2, and 40 authenticated sessions (a real handshake with n3's key) sending n1 1000 sealed frames of mutated consensus messages, transactions, hostile block requests and unknown kinds. Proves the node never crashes or hangs, accepts no mutated transaction, and the network keeps committing. (Its authenticated sessions hold a validator key, so it is held to the Byzantine scenarios' bar under --saturate, not to the clients' p99 bound.)",
                 faults: "fuzz p2p/rpc/tx", usesValidatorKey: true, loopbackOnly: "its attacker dials 127.0.0.1 from 127.0.0.x source addresses", script: fuzz),
        Scenario(name: "futile-spam", summary: "While the honest load runs, a client floods n1 and n2 with transactions that cannot succeed: zero amounts, transfers from never-funded keys, and variants of a waiting transaction's (sender, nonce). Proves none of them is admitted (each is refused with -32010 and its reason) or committed, the honest throughput stays close to the baseline (tput%), and honest clients' p99 latency stays within 2× of the baseline's in the same run.",
                 faults: "futile tx flood", maxClientP99OfBaseline: 2, script: futileSpam),
        Scenario(name: "slow-rpc-clients", summary: "600 slowloris connections (more than the node's 512-connection cap) to n1's JSON-RPC port from four other addresses (127.0.0.2-5) for 35 s: each sends a head announcing a 1 MiB body, then a byte a second, and reconnects 10 s after the node closes it (as slowloris.py does). Proves the node keeps answering `status` to a new connection (at least 90 % of probes every 250 ms within 2 s, each on a fresh connection like a monitoring check) and honest clients' p99 latency stays within 2× of the baseline's in the same run.",
                 faults: "600 slowloris → n1 RPC 35s", maxClientP99OfBaseline: 2,
                 loopbackOnly: "its attacker dials 127.0.0.1 from 127.0.0.x source addresses", script: slowRPCClients(sources: 2...5, connections: 600)),
        Scenario(name: "slow-rpc-botnet", summary: "700 slowloris connections to n1's JSON-RPC port from twenty addresses (127.0.0.2-21) for 35 s, as in slow-rpc-clients: at 32 per address they could hold 640 connections, more than the node's 512-connection cap, for a whole body deadline (30 s). Proves a newcomer at the full cap evicts the longest-stalled connection of the busiest address, so the node keeps answering `status` to a new connection (at least 90 % of probes every 250 ms within 2 s) and honest clients' p99 latency stays within 2× of the baseline's in the same run.",
                 faults: "700 slowloris ×20 addr → n1 RPC 35s", maxClientP99OfBaseline: 2,
                 loopbackOnly: "its attacker dials 127.0.0.1 from 127.0.0.x source addresses", script: slowRPCClients(sources: 2...21, connections: 700)),
        Scenario(name: "collusion-selftest", summary: "SELF-TEST, f+1 = 2 colluding nodes: n0 equivocates as primary, n1 votes for both sides. More than f Byzantine nodes can fork the honest ones, so the checks MUST report a safety or liveness failure (the run fails if they do not).",
                 byzantine: [0: "equivocate", 1: "double-vote"], colluding: [1], role: "n0 primary + n1 (f+1)",
                 faults: "collusion", quick: true, expectFailure: true),
    ]

    /// kill -9 `node`, damage its consensus log with `damage`, restart it, and require that it
    /// reports a voting fence and then votes again.
    static func damageLogAndRestart(_ node: Int, _ damage: @escaping @Sendable (Cluster) async throws -> Void)
        -> @Sendable (FaultContext) async throws -> Void {
        { ctx in
            try await ctx.wait(3)
            await ctx.cluster.kill9(node)
            try await damage(ctx.cluster)
            try await ctx.cluster.start(node)
            await ctx.markRecoveryStart()
            try await ctx.waitUp(node)
            try await ctx.waitVotingFencePassed(node)
        }
    }

    static func byzantineOnly(_ name: String, node: Int, strategy: String, role: String, quick: Bool = false,
                              equivocators: [Int] = [], checkpointInterval: UInt64 = 10, summary: String) -> Scenario {
        Scenario(name: name, summary: summary, byzantine: [node: strategy], role: role, faults: "-", quick: quick,
                 equivocators: equivocators, checkpointInterval: checkpointInterval)
    }

    /// The `fuzz` script: P2P handshake inputs and RPC bodies at node 1, transactions at node 2.
    static let fuzz: @Sendable (FaultContext) async throws -> Void = { ctx in
        try await ctx.wait(1)
        let cluster = ctx.cluster
        let genesis = await cluster.genesis
        let clients = await cluster.clients
        let ports = await cluster.ports
        let faucet = await cluster.testnet.faucetKey
        let before = await cluster.pid(1).flatMap(residentKiB)
        let fuzzer = Fuzzer(genesis: genesis, p2pPort: ports.p2p(1), rpc: clients[1], faucet: faucet, random: ctx.random)
        let refused = 300 - (await fuzzer.fuzzP2P(count: 300))
        let unanswered = await fuzzer.fuzzRPC(count: 300)
        let txFuzzer = Fuzzer(genesis: genesis, p2pPort: ports.p2p(2), rpc: clients[2], faucet: faucet, random: fuzzer.random)
        let accepted = await txFuzzer.fuzzTransactions(count: 200)
        // After the handshake: n3's key (from its home) talking to n1 directly.
        let key = try NodeKey.load(path: await cluster.testnet.homes[3] + "/node_key.json").signingKey
        let identity = try NetworkIdentity(
            chainID: genesis.chainID, genesisHash: genesis.genesisHash, localID: PeerID(3), signingKey: key,
            validators: Dictionary(uniqueKeysWithValues: genesis.validators.map { (PeerID($0.id.index), $0.publicKey) }))
        let sealed = AuthenticatedFuzzer(identity: identity, genesis: genesis, signingKey: key, impersonated: ReplicaID(3),
                                         random: txFuzzer.random)
        let sessions = await sealed.run(port: ports.p2p(1), sessions: 40, framesPerSession: 25)
        let after = await cluster.pid(1).flatMap(residentKiB)
        await cluster.note("fuzz: p2p connections refused \(refused)/300, rpc bodies unanswered \(unanswered)/300, mutated txs accepted \(accepted)/200, authenticated sessions \(sessions)/40 (1000 hostile sealed frames), n1 RSS \(before ?? -1) → \(after ?? -1) KiB")
        for i in [1, 2] {
            let running = await cluster.isRunning(i)
            if !running { ctx.findings.append("node\(i) died under fuzzing") }
        }
        if refused > 0 { ctx.findings.append("n1 refused \(refused) p2p connections (listener stopped?)") }
        if unanswered > 0 { ctx.findings.append("n1 did not answer \(unanswered) malformed RPC bodies") }
        if sessions == 0 { ctx.findings.append("no authenticated fuzz session completed its handshake with n1") }
        if accepted > 0 { ctx.findings.append("n2 accepted \(accepted) mutated transactions") }
        if let before, let after, after - before > 200_000 { ctx.findings.append("n1 RSS grew \(before) → \(after) KiB under fuzzing") }
        try await ctx.wait(2)
    }

    /// The `slow-rpc-clients` and `slow-rpc-botnet` script: `connections` slowloris connections from 127.0.0.`sources`
    /// at n1's RPC while `status` is probed there.
    static func slowRPCClients(sources: ClosedRange<Int>, connections: Int) -> @Sendable (FaultContext) async throws -> Void {
        { ctx in
            try await ctx.wait(1)
            let target = 1
            let port = ctx.cluster.ports.rpc(target)
            let attack = SlowlorisAttack(port: port, sources: sources.map { "127.0.0.\($0)" }, connections: connections)
            attack.start()
            await ctx.cluster.note("slowloris: \(connections) connections to n\(target)'s RPC (port \(port)) from 127.0.0.\(sources.lowerBound)-\(sources.upperBound)")
            let end = Date().addingTimeInterval(35)
            var probes = 0
            var answered = 0
            var slowest = 0.0
            while Date() < end {
                let start = Date()
                if await SlowlorisAttack.probeStatus(port: port, timeoutSeconds: 2) {
                    answered += 1
                    slowest = max(slowest, Date().timeIntervalSince(start))
                }
                probes += 1
                try await Task.sleep(for: .milliseconds(250))  // the probe's pace
            }
            let summary = await attack.stop()
            let share = Double(answered) / Double(max(probes, 1))
            ctx.measurements.append(String(format: "slowloris: status on n%d answered %d/%d probes within 2 s (%.0f%%, slowest %.2f s); attack: %@",
                                            target, answered, probes, share * 100, slowest, summary.description))
            await ctx.cluster.note(ctx.measurements.last ?? "")
            var problems: [String] = []
            if share < 0.9 {
                problems.append(String(format: "status on n%d answered only %d of %d probes within 2 s (%.0f%%, need 90%%)", target, answered, probes, share * 100))
            }
            if summary.connected == 0 { problems.append("no slowloris connection was ever established (the attack did not run)") }
            ctx.serviceFindings = problems
            try await ctx.wait(1)
        }
    }

    /// Cuts backup `node` off for `seconds` (as `isolate`). While cut off it must start a view change
    /// and refuse a client transfer as busy (reason data `changing_to_view`); after the heal it must
    /// abandon that lone view change: within 10 s its `status` shows it working in the view the
    /// others are in (not changing view). Each unmet step is a finding.
    static func loneBackup(_ node: Int, for seconds: Double) -> @Sendable (FaultContext) async throws -> Void {
        { ctx in
            let cluster = ctx.cluster
            let client = await cluster.clients[node]
            try await ctx.wait(2)
            await cluster.setLinks(ctx.linksOf(node), mode: .blackhole)
            let cut = Date()
            var problems: [String] = []
            var changing = false
            while !changing, Date().timeIntervalSince(cut) < seconds - 1 {
                try await ctx.wait(0.2)
                changing = (try? await client.object("status", timeout: 1))?["changing_view"]?.boolValue ?? false
            }
            if changing {
                let faucet = await cluster.testnet.faucetKey
                let nonce = (try? await client.object("account", ["address": Address(publicKey: faucet.publicKey).description]))?["nonce"]?.uint64Value ?? 0
                let tx = try Transaction.signed(chainID: await cluster.genesis.chainID, sender: faucet,
                                                recipient: Address(publicKey: try SigningKey(seed: ctx.random.bytes32()).publicKey),
                                                amount: 1, nonce: nonce)
                do throws(RPCClientError) {
                    _ = try await client.call("broadcast_tx_sync", ["tx": Hex.encode(tx.encoded())], timeout: 3)
                    problems.append("n\(node) admitted a client transfer while changing view alone")
                } catch let .server(e, _) where e.reason == "busy" && e.data?["changing_to_view"] != nil {
                    await cluster.note("n\(node) refuses client transfers while changing view: \(e.message)")
                } catch {
                    problems.append("n\(node) answered a client transfer while changing view with \(error), not busy (changing_to_view)")
                }
            } else {
                problems.append("n\(node) never reported changing_view while cut off for \(Int(seconds)) s")
            }
            let rest = seconds - Date().timeIntervalSince(cut)
            if rest > 0 { try await ctx.wait(rest) }
            await cluster.healLinks()
            await ctx.markRecoveryStart()
            let healed = Date()
            var back = false
            var last = "no status"
            while !back, Date().timeIntervalSince(healed) < 10 {
                try await ctx.wait(0.2)
                let mine = try? await client.object("status", timeout: 1)
                let other = try? await cluster.clients[(node + 1) % ctx.count].object("status", timeout: 1)
                if let mine, let other, mine["changing_view"]?.boolValue == false, mine["view"]?.uint64Value == other["view"]?.uint64Value {
                    back = true
                    await cluster.note(String(format: "n%d works in view %llu again %.1f s after the heal (follows_until_view %@)",
                                              node, mine["view"]?.uint64Value ?? 0, Date().timeIntervalSince(healed),
                                              mine["follows_until_view"]?.uint64Value.map(String.init) ?? "null"))
                } else {
                    last = "n\(node) view \(mine?["view"]?.uint64Value.map(String.init) ?? "?") changing \(mine?["changing_view"]?.boolValue.map(String.init) ?? "?"), others in view \(other?["view"]?.uint64Value.map(String.init) ?? "?")"
                }
            }
            if !back { problems.append("n\(node) did not rejoin the others' view within 10 s of the heal (\(last))") }
            ctx.findings += problems
            try await ctx.wait(max(0, 6 - seconds))
        }
    }

    /// Cuts `node` off in both directions after 2 s, for `seconds`, then heals.
    /// When a crash scenario's recovery time starts.
    enum RecoveryStart { case kill, restart }

    /// 2 s into the load, kill -9 `node`; restart it `restartAfter` s later and wait until it answers RPC.
    /// Recovery is measured from the kill (how long the others take to commit without it) or from the restart.
    static func crash(_ node: Int, restartAfter: Double, recoveryFrom: RecoveryStart) -> @Sendable (FaultContext) async throws -> Void {
        { ctx in
            try await ctx.wait(2)
            await ctx.cluster.kill9(node)
            if recoveryFrom == .kill { await ctx.markRecoveryStart() }
            try await ctx.wait(restartAfter)
            try await ctx.cluster.start(node)
            if recoveryFrom == .restart { await ctx.markRecoveryStart() }
            try await ctx.waitUp(node)
        }
    }

    static func isolate(_ node: Int, for seconds: Double) -> @Sendable (FaultContext) async throws -> Void {
        { ctx in
            try await ctx.wait(2)
            await ctx.cluster.setLinks(ctx.linksOf(node), mode: .blackhole)
            try await ctx.wait(seconds)
            await ctx.cluster.healLinks()
            await ctx.markRecoveryStart()
            try await ctx.wait(max(0, 6 - seconds))
        }
    }
}
