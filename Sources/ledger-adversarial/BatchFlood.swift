import Foundation
import LedgerCore
import LedgerCrypto
import Node
import P2P
import PBFT
import Wallet

/// A Byzantine validator buying an honest node's CPU and memory with batches: with validator 3's
/// key (its process killed), it sends node 0 FETCHED-BATCHes nobody asked for, each full of
/// validly signed transfers from fresh keys (a signature check each if verified), COMMITTED-BATCH
/// replays of an old height, and frames of garbage, as fast as the connection takes them.
enum BatchFlood {
    /// The script: kill n3, flood n0 for `seconds`, restart n3; checks n0's signature checks,
    /// memory and drops before verification.
    static func script(seconds: Double) -> @Sendable (FaultContext) async throws -> Void {
        asValidator3 { ctx, target in
            let (cluster, genesis, port, client, identity) = (target.cluster, target.genesis, target.port, target.client, target.identity)
            let payloads = makePayloads(genesis: genesis)
            let checksBefore = await client.metric("ledger_consensus_signature_checks") ?? 0
            let droppedBefore = await client.metric("ledger_peer_messages_dropped_before_verification") ?? 0
            let rssBefore = await cluster.pid(0).flatMap(residentKiB)
            let deadline = Date().addingTimeInterval(seconds)
            var sessions = 0
            var frames = 0
            var peakRSS = rssBefore ?? 0
            while Date() < deadline {
                let batch = (0..<60).map { payloads[$0 % payloads.count] }
                let ok = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                    DispatchQueue.global().async {
                        c.resume(returning: AuthenticatedFuzzer.session(
                            port: port, identity: identity, payloads: batch, frameKinds: batch.map { _ in 0 }))
                    }
                }
                if ok { sessions += 1; frames += batch.count }
                peakRSS = max(peakRSS, await cluster.pid(0).flatMap(residentKiB) ?? 0)
            }
            let checksAfter = await client.metric("ledger_consensus_signature_checks") ?? 0
            let droppedAfter = await client.metric("ledger_peer_messages_dropped_before_verification") ?? 0
            let txsSent = frames / 3 * 2 * transactionsPerBatch(genesis)
            await cluster.note("batch flood: \(sessions) sessions, \(frames) frames (\(txsSent) signed transfers in unwanted batches) to n0; "
                + "n0 dropped \(Int(droppedAfter - droppedBefore)) before verification, checked \(Int(checksAfter - checksBefore)) consensus signatures, "
                + "RSS \(rssBefore ?? -1) → peak \(peakRSS) KiB")
            if sessions == 0 { ctx.findings.append("no flood session completed its handshake with n0") }
            if droppedAfter - droppedBefore <= 0 { ctx.findings.append("n0 dropped none of the flood's batches before verification") }
            if let rssBefore, peakRSS - rssBefore > 400_000 { ctx.findings.append("n0 RSS grew \(rssBefore) → \(peakRSS) KiB under the flood") }
        }
    }

    /// What a flood by validator 3's key gets: the cluster, node 0's P2P port and RPC client, and n3's identity.
    struct Target: Sendable {
        let cluster: Cluster
        let genesis: Genesis
        let port: Int
        let client: RPCClient
        let identity: NetworkIdentity
    }

    /// The frame of `batch-flood` and `gossip-flood`: after a second of load, kills n3 and runs `flood` at node 0
    /// with n3's key, then restarts n3 (recovery is measured from the restart) and waits for it.
    static func asValidator3(_ flood: @escaping @Sendable (FaultContext, Target) async throws -> Void)
        -> @Sendable (FaultContext) async throws -> Void {
        { ctx in
            try await ctx.wait(1)
            let cluster = ctx.cluster
            let identity = try await impersonate(3, cluster: cluster)
            try await flood(ctx, Target(cluster: cluster, genesis: await cluster.genesis, port: cluster.ports.p2p(0),
                                        client: cluster.clients[0], identity: identity))
            try await cluster.start(3)
            await ctx.markRecoveryStart()
            try await ctx.waitUp(3)
            try await ctx.wait(2)
        }
    }

    /// Kills validator `node`'s process and returns its network identity (its key from its home), so the
    /// script can open sessions to the others as that validator.
    static func impersonate(_ node: Int, cluster: Cluster) async throws -> NetworkIdentity {
        let genesis = await cluster.genesis
        await cluster.kill9(node)
        let key = try NodeKey.load(path: cluster.testnet.homes[node] + "/node_key.json").signingKey
        return try NetworkIdentity(
            chainID: genesis.chainID, genesisHash: genesis.genesisHash, localID: PeerID(node), signingKey: key,
            validators: Dictionary(uniqueKeysWithValues: genesis.validators.map { (PeerID($0.id.index), $0.publicKey) }))
    }

    static func transactionsPerBatch(_ genesis: Genesis) -> Int { min(2_000, genesis.consensus.maxBatchTransactions) }

    /// An unwanted FETCHED-BATCH, a COMMITTED-BATCH for height 1 (long committed), and garbage of the consensus kind.
    static func makePayloads(genesis: Genesis) -> [[UInt8]] {
        let count = transactionsPerBatch(genesis)
        let recipient = Address(publicKey: SigningKey.generate().publicKey)
        let txs = (0..<count).compactMap { _ in
            try? Transaction.signed(chainID: genesis.chainID, sender: SigningKey.generate(), recipient: recipient, amount: 1, nonce: 0)
        }
        let batch = Batch(view: .zero, timestamp: UInt64(Date().timeIntervalSince1970 * 1000), transactions: txs)
        let fetched = Envelope.wrap(LedgerMessage.fetchedBatch(batch))
        let commit = Signed(body: Commit(view: .zero, sequence: SequenceNumber(1), digest: batch.digest), epoch: 0, signer: ReplicaID(3), signature: .zero)
        let replay = Envelope.wrap(LedgerMessage.committedBatch(
            CommitCertificate(view: .zero, sequence: SequenceNumber(1), digest: batch.digest, commits: [commit]), batch: batch))
        let garbage = Envelope.wrap(.consensus, (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131) })
        return [fetched, replay, garbage]
    }
}
