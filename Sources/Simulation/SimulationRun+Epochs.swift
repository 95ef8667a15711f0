// The run's validator-set changes (`SimulationParameters.membershipChanges`, `MembershipPlan`): one per epoch. Each
// node tells its replica where its epoch ends right after executing the block that accepted the epoch's change,
// switches at its `epochComplete` to a fresh replica of the next epoch under its id and key there (moving the requests
// still pending), and keeps the old replica to answer that epoch's laggards. A removed validator keeps only its
// retired replicas: it answers laggards and orders nothing more (its ledger stays at its last epoch's end). A joining
// validator starts with the first node to switch into its epoch, from that node's chain.
import LedgerCore
import LedgerCrypto
import PBFT

/// A change the ledger accepted in `block`: epoch `epoch` ends at `lastSequence`.
struct MembershipChange {
    /// The epoch the change ends (its index in the plan).
    let epoch: UInt64
    /// The block holding the change.
    let block: SequenceNumber
    /// The epoch's last sequence number (`EpochBoundary.lastSequence`).
    let lastSequence: SequenceNumber
}

/// The consensus keys of one epoch's set: replica id `i` signs with key slot `keySlots[i]`.
struct EpochKeys: SignatureScheme {
    /// Every key identity of the run.
    let keys: SimulationKeys
    /// The key slot of each replica id of the epoch.
    let keySlots: [Int]

    var replicaCount: Int { keySlots.count }

    func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool {
        replica.index >= 0 && replica.index < keySlots.count
            && keys.isValid(signature, by: ReplicaID(keySlots[replica.index]), over: bytes)
    }
}

extension SimulationRun {
    /// The set of `epoch` (the last planned one for any later epoch).
    func epochSet(_ epoch: UInt64) -> EpochSet {
        plan.sets[Int(min(epoch, UInt64(plan.sets.count - 1)))]
    }

    /// The number of validators in `epoch`.
    func validatorCount(epoch: UInt64) -> Int {
        epochSet(epoch).count
    }

    /// The node of replica `id` of `epoch`, if the set has one.
    func node(of id: ReplicaID, epoch: UInt64) -> ReplicaID? {
        epochSet(epoch).node(of: id).map(ReplicaID.init)
    }

    /// The replica id of `node` in `epoch`, if it is a member.
    func replicaID(ofNode node: ReplicaID, epoch: UInt64) -> ReplicaID? {
        epochSet(epoch).replica(ofNode: node.index)
    }

    /// The replica id and key slot `node` runs under in `epoch`, or `nil` when it is not a validator then.
    /// (`MembershipSabotage.staleIdentity`: the ones of the epoch before, where it had them.)
    func identity(ofNode node: ReplicaID, epoch: UInt64) -> (id: ReplicaID, keySlot: Int)? {
        if parameters.membershipSabotage == .staleIdentity, epoch > 0, let old = replicaID(ofNode: node, epoch: epoch - 1) {
            return (old, epochSet(epoch - 1).keySlots[old.index])
        }
        guard let id = replicaID(ofNode: node, epoch: epoch) else { return nil }
        return (id, epochSet(epoch).keySlots[id.index])
    }

    /// The epoch a block at `sequence` belongs to.
    func epoch(ofBlock sequence: SequenceNumber) -> UInt64 {
        var epoch: UInt64 = 0
        for change in membershipChanges where sequence > change.lastSequence { epoch = change.epoch + 1 }
        return epoch
    }

    /// The configuration of node `id`'s replica in its node's epoch.
    func configuration(of id: ReplicaID, as replica: ReplicaID) -> ReplicaConfiguration {
        let node = nodes[id.index]
        var configuration = parameters.configuration(replica: replica, replicaCount: validatorCount(epoch: node.epoch))
        configuration.epoch = node.epoch
        configuration.epochStart = node.epochStart
        // A restart after the change block executed knows where the epoch ends.
        if node.epoch < UInt64(membershipChanges.count), node.ledger.height >= membershipChanges[Int(node.epoch)].block {
            configuration.lastSequence = membershipChanges[Int(node.epoch)].lastSequence
        }
        return configuration
    }

    /// After `id` executed blocks up to `height` from `previous`: its epoch's end, if the change block was among them.
    func epochEnds(for id: ReplicaID, executedFrom previous: SequenceNumber, to height: SequenceNumber) -> LedgerEvent? {
        let epoch = nodes[id.index].epoch
        guard epoch < UInt64(membershipChanges.count) else { return nil }
        let change = membershipChanges[Int(epoch)]
        guard previous < change.block, change.block <= height else { return nil }
        return .epochEnds(lastSequence: change.lastSequence)
    }

    /// Switches the nodes whose replica completed its epoch (after the event that completed it).
    func performEpochSwitches() {
        while !epochSwitches.isEmpty {
            let (id, completion) = epochSwitches.removeFirst()
            switchEpoch(id, completion)
        }
    }

    /// `id` starts its next epoch's replica at the completed epoch's last block (or, removed, steps down); the old
    /// replica stays to answer laggards; the requests it still held go to the new one. A validator that joins in the
    /// next epoch starts with the first node to switch, from that node's chain (as if it had followed it as a full node).
    private func switchEpoch(_ id: ReplicaID, _ completion: EpochCompletion) {
        let i = id.index
        guard nodes[i].isUp, nodes[i].epoch == completion.epoch else { return }
        let moved = nodes[i].replica!.pendingRequests
        let next = completion.epoch + 1
        nodes[i].retired[completion.epoch] = nodes[i].replica
        nodes[i].epoch = next
        nodes[i].epochStart = completion.nextEpochStart
        nodes[i].disk = []
        nodes[i].votingFence = nil
        nodes[i].timers.cancelAll()
        nodes[i].stateTransferPending = false
        nodes[i].incarnation += 1
        if let mine = identity(ofNode: id, epoch: next) {
            let was = replicaID(ofNode: id, epoch: completion.epoch)
            trace("\(id) completes epoch \(completion.epoch) at \(completion.lastSequence) and starts epoch \(next) "
                + "with \(validatorCount(epoch: next)) validators (\(moved.count) requests moved)"
                + (was == mine.id ? "" : " as \(mine.id)"))
            start(id)
            if !moved.isEmpty { feed(id, .requests(moved)) }
        } else {
            // Removed: it keeps its retired replicas for laggards and orders nothing more.
            nodes[i].replica = nil
            trace("\(id) completes epoch \(completion.epoch) at \(completion.lastSequence) and steps down: "
                + "it is not in epoch \(next)'s \(validatorCount(epoch: next)) validators (\(moved.count) requests dropped)")
        }
        for j in epochSet(next).nodes where replicaID(ofNode: ReplicaID(j), epoch: completion.epoch) == nil {
            guard !nodes[j].isUp, nodes[j].epoch < next else { continue }
            nodes[j].ledger = nodes[i].ledger
            nodes[j].epoch = next
            nodes[j].epochStart = completion.nextEpochStart
            trace("\(ReplicaID(j)) joins at \(nodes[j].ledger.height)")
            start(ReplicaID(j))
        }
    }

    /// Delivers a verified message to the replica of node `to` that works in its epoch: the current one, or a
    /// retired one of an earlier epoch (which answers laggards). A message of a later epoch waits for retransmission.
    func deliver(_ message: Verified<LedgerMessage>, to: ReplicaID) {
        let i = to.index
        let epoch = message.message.epoch ?? nodes[i].epoch
        if epoch == nodes[i].epoch {
            feed(to, .message(message))
        } else if epoch < nodes[i].epoch, nodes[i].retired[epoch] != nil {
            let actions = nodes[i].retired[epoch]!.handle(.message(message), now: clock(of: to))
            invariants.observe(replica: to, broken: nodes[i].retired[epoch]!.checkInvariants(), at: now)
            for action in actions {
                switch action {
                case let .send(m, recipient): transmit(m, from: to, to: [recipient], epoch: epoch)
                case let .broadcast(m): transmit(m, from: to, to: others(of: to, epoch: epoch), epoch: epoch)
                default: break  // it orders nothing new: no timers, log, commits or transfers
                }
            }
        }
    }
}

// MARK: The operator's changes and the membership check

extension SimulationRun {
    /// After the first honest execution of `height`: the operator submits the next planned change to every validator
    /// of its epoch once the chain reaches `firstChangeAfterBlock` (the first change) or `changeAfterBlocks` past the
    /// previous change's boundary, and again every `changeResubmitBlocks` blocks until one commits it.
    func submitChangeIfDue(after height: Height) {
        let index = membershipChanges.count
        guard index < plan.changes.count else { return }
        let due = index == 0 ? parameters.firstChangeAfterBlock
            : membershipChanges[index - 1].lastSequence.rawValue &+ parameters.changeAfterBlocks
        guard height.rawValue >= due else { return }
        if let last = changeSubmittedAt, height.rawValue < last.rawValue &+ SimulationLimits.changeResubmitBlocks { return }
        changeSubmittedAt = height
        let planned = plan.changes[index]
        let subject = ReplicaID(planned.subject)
        let what: String
        switch planned.kind {
        case .add: what = "adding \(subject)"
        case .remove: what = "removing \(subject) (\(replicaID(ofNode: subject, epoch: UInt64(index)).map { "\($0)" } ?? "?") of epoch \(index))"
        case .rotate: what = "rotating the key of \(subject) (\(replicaID(ofNode: subject, epoch: UInt64(index)).map { "\($0)" } ?? "?") of epoch \(index))"
        }
        trace("operator submits validator-set change \(planned.change.id.hex.prefix(12)) \(what) with \(planned.change.approvals.count) approvals at \(height)")
        for r in epochSet(UInt64(index)).nodes { queue.schedule(.changeArrives(ReplicaID(r)), at: now.advanced(by: wireDelay())) }
    }

    /// The change reaches node `id`: an up validator of the change's epoch with no change pending queues it, as the
    /// node's change pool does (a copy that arrives later is refused there).
    func changeArrives(_ id: ReplicaID) {
        let i = id.index
        let index = membershipChanges.count
        guard index < plan.changes.count, nodes[i].isUp, nodes[i].epoch == UInt64(index), nodes[i].replica != nil,
              nodes[i].ledger.membership.pending == nil, nodes[i].ledger.membership.epoch == UInt64(index)
        else { return }
        feed(id, .requests([.validatorSetChange(plan.changes[index].change)]))
    }

    /// After `id` executed a block: the run learns when a change committed (the ledger's execution decided it,
    /// `Membership.accepting`), and the first honest execution of every block that applied a change is checked on its
    /// own: a quorum of the set that approved it (distinct members, valid signatures) must have approved it, and the
    /// next set the ledger computed must be the one the simulator maps nodes and keys by (`MembershipPlan`).
    func noteMembership(_ execution: BlockExecution, before: Membership, at id: ReplicaID) {
        let block = execution.block
        let applied = zip(block.changes, block.changeReceipts).filter { $0.1.status == .success }.map(\.0)
        guard !applied.isEmpty else { return }
        if honest.contains(id), checkedChangeHeights.insert(block.height).inserted {
            let rule = QuorumRule(before.validators.count) ?? .single
            let members = Set(before.validators.map(\.publicKey))
            for change in applied {
                let bytes = change.signingBytes()
                let approving = Set(change.approvals.filter {
                    members.contains($0.signer) && $0.signer.isValidSignature($0.signature, for: bytes)
                }.map(\.signer))
                if approving.count < rule.quorum {
                    contractViolations.append(Violation(
                        property: .validity, time: now,
                        detail: "\(id) applied validator-set change \(change.id.hex.prefix(12))… at \(block.height) with \(approving.count) "
                            + "valid approvals from epoch \(before.epoch)'s \(before.validators.count) validators; its quorum is \(rule.quorum)"))
                }
            }
            if let pending = execution.membership.pending, before.pending == nil {
                let expected = epochSet(before.epoch + 1).publicKeys
                if pending.validators.map(\.publicKey) != expected || pending.validators.map(\.id) != (0..<expected.count).map(ReplicaID.init) {
                    contractViolations.append(Violation(
                        property: .simulator, time: now,
                        detail: "\(id) accepted a change at \(block.height) whose set for epoch \(before.epoch + 1) "
                            + "(\(pending.validators.count) validators) is not the one the simulator maps nodes and keys by "
                            + "(\(expected.count) validators)"))
                }
            }
        }
        guard let pending = execution.membership.pending, before.pending == nil,
              UInt64(membershipChanges.count) == before.epoch, membershipChanges.count < plan.changes.count
        else { return }
        membershipChanges.append(MembershipChange(epoch: before.epoch, block: block.height, lastSequence: pending.lastSequence))
        changeSubmittedAt = nil
        trace("validator-set change committed at \(block.height): epoch \(before.epoch) ends at \(pending.lastSequence), "
            + "epoch \(before.epoch + 1) has \(pending.validators.count) validators")
    }
}
