// The run: the full node — pushes from the replicas, its core's actions, its state transfer, and its checks.
import LedgerCore
import LedgerCrypto
import PBFT

extension SimulationRun {
    /// The full node's id in traces and checker records: the first index past the replicas.
    var followerID: ReplicaID { ReplicaID(plan.nodeCount) }

    /// Share of the pushes to the full node that are lost (so gaps and the catch-up paths run).
    static let followerPushLoss = 0.1

    func startFollower() {
        guard scenario.fullNode else { return }
        let genesisLedger = nodes[0].ledger.header(at: .zero).map {
            SimulatedLedger(genesis: $0, accounts: AccountState(accounts: clients.map {
                Account(publicKey: $0.key.publicKey, balance: parameters.initialBalance)
            }), membership: SimulationParameters.ledgerMembership(replicaCount: scenario.replicaCount), rules: parameters.changeRules)
        }
        guard let ledger = genesisLedger else { return }
        follower = SimulatedFollower(
            core: ChainFollower(replicaCount: scenario.replicaCount, window: parameters.window,
                                probeIntervalMs: SimulationLimits.fullNodeProbeIntervalMs),
            verifier: followerVerifier(for: ledger.membership),
            ledger: ledger, random: SimulationRandom(seed: scenario.seed ^ 0x5F0F_F011_0E70_0DE5))
        feedFollower(.start(.genesis))
    }

    /// The verifier of `membership`'s epoch as the full node derives it from its own chain: each validator's
    /// consensus key is the one of its Ed25519 key's identity (a key no identity has verifies nothing).
    func followerVerifier(for membership: Membership) -> LedgerMessageVerifier {
        let keysFrom = followerSabotage == .keepsFirstSet
            ? SimulationParameters.ledgerMembership(replicaCount: scenario.replicaCount) : membership
        let slots = keysFrom.validators.map { keySlotByLedgerKey[$0.publicKey] ?? -1 }
        return LedgerMessageVerifier(context: parameters.signingContext(epoch: membership.epoch),
                                     scheme: EpochKeys(keys: scheme, keySlots: slots), checkBatch: verifiers[0].checkBatch)
    }

    /// When the full node's own chain passed an epoch's last block: a fresh core for the next epoch's set, started
    /// at its height (it asks for state transfer at start). `true` when it switched.
    private func followerSwitchesEpochIfDue() -> Bool {
        let membership = follower!.ledger.membership
        guard membership.epoch != follower!.epoch else { return false }
        follower!.epoch = membership.epoch
        follower!.verifier = followerVerifier(for: membership)
        follower!.core = ChainFollower(replicaCount: membership.validators.count, window: parameters.window,
                                       probeIntervalMs: SimulationLimits.fullNodeProbeIntervalMs)
        follower!.timers.cancelAll()
        follower!.epochSwitches += 1
        trace("full node: epoch \(membership.epoch) starts at \(follower!.ledger.height) with \(membership.validators.count) validators")
        return true
    }

    /// The event that starts the full node's core where its chain stands.
    private var followerStart: LedgerEvent {
        let ledger = follower!.ledger
        return .start(RecoveredState<Batch>(
            records: [], lastExecuted: ledger.height, lastExecutedBlockHash: ledger.lastBlockHashForConsensus,
            lastExecutedTimestampMilliseconds: ledger.lastTimestampForConsensus, votingFence: nil))
    }

    /// What is wrong with `certificate` for the full node's next block, checked against the set of the block's
    /// epoch as its own chain knows it, or `nil`.
    private func followerCertificateProblem(_ certificate: CommitCertificate, batch: Batch, sequence: SequenceNumber) -> String? {
        if certificate.sequence != sequence { return "certificate is for \(certificate.sequence), not \(sequence)" }
        if certificate.digest != batch.digest { return "certificate digest differs from the batch digest" }
        let membership = follower!.ledger.membership
        let verifier = membership.epoch == follower!.epoch ? follower!.verifier : followerVerifier(for: membership)
        do {
            _ = try certificate.verified(scheme: verifier.scheme, context: verifier.context, quorum: parameters.quorumOverride)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Replica `from` pushes `message` to the full node (as a validator does over the full node's connection).
    /// A Byzantine replica pushes, half of the time, a batch its certificate does not certify.
    func pushToFollower(_ message: LedgerMessage, from: ReplicaID) {
        guard follower != nil, nodes[from.index].isUp else { return }
        var message = message
        if byzantine.contains(from), case let .committedBatch(certificate, batch) = message, follower!.random.chance(0.5) {
            let forged = Batch.make(view: batch.view, timestampMilliseconds: batch.timestampMilliseconds &+ 1, requests: [])
            message = .committedBatch(certificate, batch: forged)
        }
        if follower!.random.chance(Self.followerPushLoss) || followerSabotage == .deaf { return }
        let delay = faults.network.delay.sample(&follower!.random)
        queue.schedule(.followerDeliver(from: from, message: message), at: now.advanced(by: delay))
    }

    /// A push arrives: verified as the node's peer worker does (signatures, certificate quorum), then fed.
    func followerReceive(_ message: LedgerMessage, from: ReplicaID) {
        guard follower != nil else { return }
        // Its core follows one epoch: pushes of another are dropped (it catches up by transfer once it switched).
        if let epoch = message.epoch, epoch != follower!.epoch { return }
        if follower!.core.intakeFilter.refusal(message) != nil { return }
        let verified: Verified<LedgerMessage>
        do { verified = try follower!.verifier.verify(message) } catch {
            follower!.refused += 1
            if honest.contains(from) {
                followerViolations.append(Violation(
                    property: .contract, time: now, detail: "honest \(from)'s push to the full node fails verification: \(error)"))
            }
            return
        }
        feedFollower(.message(verified))
    }

    /// Hands `event` to the full node's core and performs its actions (`.executed` after each `.commit`).
    func feedFollower(_ first: LedgerEvent) {
        var queueOfEvents = [first]
        while !queueOfEvents.isEmpty, follower != nil {
            let event = queueOfEvents.removeFirst()
            let actions = follower!.core.handle(event, now: parameters.epochMs &+ now.milliseconds)
            for problem in follower!.core.checkInvariants() {
                followerViolations.append(Violation(property: .invariant, time: now, detail: "full node: \(problem)"))
            }
            actionLoop: for action in actions {
                switch action {
                case let .commit(committed):
                    if let executed = followerExecute(committed) { queueOfEvents.append(executed) }
                    if follower != nil, followerSwitchesEpochIfDue() {
                        // The old core's later commits belong to the next epoch's set: the new core fetches them.
                        queueOfEvents = [followerStart]
                        break actionLoop
                    }
                case let .requestStateTransfer(target):
                    guard !follower!.transferPending else { break }
                    follower!.transferPending = true
                    follower!.transfers += 1
                    let delay = 2 * faults.network.delay.sample(&follower!.random) + 1
                    queue.schedule(.followerTransferDone(target), at: now.advanced(by: delay))
                case let .setTimer(kind, after):
                    let generation = follower!.timers.arm(kind)
                    queue.schedule(.followerTimer(kind, generation: generation), at: now.advanced(by: after))
                case let .cancelTimer(kind):
                    follower!.timers.cancel(kind)
                case .note:
                    break
                case .send, .broadcast, .persist, .relay, .evidence, .epochComplete:
                    followerViolations.append(Violation(
                        property: .contract, time: now, detail: "the full node's core asked to \(action) (a follower signs and sends nothing)"))
                }
            }
        }
    }

    /// Executes a batch the core committed, checked like an honest replica's block (safety only).
    private func followerExecute(_ committed: CommittedBatch<Batch>) -> LedgerEvent? {
        let seq = committed.sequence
        guard seq.rawValue == follower!.ledger.height.rawValue &+ 1 else {
            followerViolations.append(Violation(
                property: .contract, time: now, detail: "full node told to commit \(seq) at height \(follower!.ledger.height)"))
            return nil
        }
        if let problem = followerCertificateProblem(committed.certificate, batch: committed.batch, sequence: seq) {
            followerViolations.append(Violation(property: .contract, time: now, detail: "full node committed \(seq) with a bad certificate: \(problem)"))
            return nil
        }
        let count = follower!.ledger.membership.validators.count
        let proposer = followerSabotage == .forgedChain ? ReplicaID((committed.proposer.index + 1) % count) : committed.proposer
        let header = follower!.ledger.execute(committed.batch, proposer: proposer, certificate: committed.certificate).block.header
        follower!.executed += 1
        safety.recordExecuted(replica: followerID, height: header.height, hash: header.hash, at: now)
        return .executed(seq, blockHash: header.hash)
    }

    /// The full node's state transfer: from the honest replica that is up and furthest ahead, every block
    /// checked by its certificate; an anchored target must match that replica's block hash.
    func completeFollowerTransfer(_ target: StateTransferTarget) {
        guard follower != nil else { return }
        follower!.transferPending = false
        let donor = followerSabotage == .deaf ? nil
            : honest.filter { nodes[$0.index].isUp }.max { nodes[$0.index].ledger.height < nodes[$1.index].ledger.height }
        if let donor {
            let source = nodes[donor.index].ledger
            let end = target.isAnchored ? min(target.sequence, source.height) : source.height
            if target.isAnchored, let header = source.header(at: target.sequence), header.hash != target.blockHash {
                followerViolations.append(Violation(
                    property: .stateDivergence, time: now,
                    detail: "full node's transfer target \(target.sequence) (f + 1 checkpoints) differs from honest \(donor)'s block"))
            }
            var height = follower!.ledger.height
            while height < end, let block = source.committed(at: Height(height.rawValue + 1)) {
                height = Height(height.rawValue + 1)
                if let problem = followerCertificateProblem(block.certificate, batch: block.batch, sequence: height) {
                    followerViolations.append(Violation(property: .contract, time: now, detail: "full node fetched \(height) with a bad certificate: \(problem)"))
                    break
                }
                let header = follower!.ledger.execute(block.batch, proposer: block.proposer, certificate: block.certificate).block.header
                follower!.executed += 1
                safety.recordExecuted(replica: followerID, height: header.height, hash: header.hash, at: now)
            }
        }
        // A transfer that crossed an epoch's end: the next epoch's core starts where the chain now stands.
        if followerSwitchesEpochIfDue() { feedFollower(followerStart); return }
        let ledger = follower!.ledger
        feedFollower(.stateTransferred(ledger.height, blockHash: ledger.lastBlockHashForConsensus,
                                       timestampMilliseconds: ledger.lastTimestampForConsensus))
    }

    /// Notes when an honest replica first executed `height` (the full node's lag is measured from it).
    func noteExecutedByHonest(_ height: Height) {
        if follower != nil, firstExecutedAt[height] == nil { firstExecutedAt[height] = now }
    }

    /// At the end: every block an honest replica executed more than `fullNodeLagMs` ago must be on the full node.
    func checkFollowerLag() {
        guard let follower, checksLiveness else { return }
        let bound = SimulationLimits.fullNodeLagMs
        let missing = firstExecutedAt.filter { $0.key > follower.ledger.height && now.milliseconds >= $0.value.milliseconds &+ bound }
        if let oldest = missing.min(by: { $0.key < $1.key }) {
            followerViolations.append(Violation(
                property: .liveness, time: now,
                detail: "full node at height \(follower.ledger.height) lacks block \(oldest.key), executed by an honest replica "
                    + "\(now.milliseconds - oldest.value.milliseconds) ms ago (bound \(bound) ms)"))
        }
        trace("full node: height \(follower.ledger.height) in epoch \(follower.epoch), \(follower.executed) blocks executed, "
            + "\(follower.transfers) transfers, \(follower.refused) forged pushes refused")
    }
}
