// The run's one validator-set change (`SimulationParameters.addsValidatorAfterBlock`): validator `n` joins. Each node
// tells its replica where epoch 0 ends right after executing the change block, switches to a fresh epoch-1 replica
// at its `epochComplete` (moving the requests still pending), and keeps the old replica to answer epoch-0 laggards.
import LedgerCore
import LedgerCrypto
import PBFT

/// A change committed in `block` that adds validator `joiner`: epoch 0 ends at `lastSequence`.
struct MembershipChange {
    /// The block holding the change.
    let block: SequenceNumber
    /// Epoch 0's last sequence number (`EpochBoundary.lastSequence`).
    let lastSequence: SequenceNumber
    /// The validator that joins in epoch 1 (id `n`).
    let joiner: ReplicaID
}

/// The keys of the first `replicaCount` validators: an epoch's set before a validator joins.
struct ValidatorSubset: SignatureScheme {
    /// Every validator's keys, the joiner's included.
    let keys: SimulationKeys
    /// The size of the epoch's set.
    let replicaCount: Int

    func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool {
        replica.index < replicaCount && keys.isValid(signature, by: replica, over: bytes)
    }
}

extension SimulationRun {
    /// The number of validators in `epoch`.
    func validatorCount(epoch: UInt64) -> Int {
        scenario.replicaCount + (epoch > 0 && membershipChange != nil ? 1 : 0)
    }

    /// The epoch a block at `sequence` belongs to.
    func epoch(ofBlock sequence: SequenceNumber) -> UInt64 {
        guard let change = membershipChange, sequence > change.lastSequence else { return 0 }
        return 1
    }

    /// The configuration of `id`'s replica in its node's epoch.
    func configuration(of id: ReplicaID) -> ReplicaConfiguration {
        let node = nodes[id.index]
        var configuration = parameters.configuration(replica: id, replicaCount: validatorCount(epoch: node.epoch))
        configuration.epoch = node.epoch
        configuration.epochStart = node.epochStart
        // A restart after the change block executed knows where the epoch ends.
        if let change = membershipChange, node.epoch == 0, node.ledger.height >= change.block {
            configuration.lastSequence = change.lastSequence
        }
        return configuration
    }

    /// After `id` executed blocks up to `height` from `previous`: the epoch's end, if the change block was among them.
    func epochEnds(for id: ReplicaID, executedFrom previous: SequenceNumber, to height: SequenceNumber) -> LedgerEvent? {
        guard let change = membershipChange, nodes[id.index].epoch == 0, previous < change.block, change.block <= height else {
            return nil
        }
        return .epochEnds(lastSequence: change.lastSequence)
    }

    /// Switches the nodes whose replica completed its epoch (after the event that completed it).
    func performEpochSwitches() {
        while !epochSwitches.isEmpty {
            let (id, completion) = epochSwitches.removeFirst()
            switchEpoch(id, completion)
        }
    }

    /// `id` starts its next epoch's replica at the completed epoch's last block; the old replica stays to answer
    /// laggards; the requests it still held go to the new one. The joining validator starts with the first node
    /// to switch, from that node's chain (as if it had followed it as a full node).
    private func switchEpoch(_ id: ReplicaID, _ completion: EpochCompletion) {
        let i = id.index
        guard let change = membershipChange, nodes[i].isUp, nodes[i].epoch == completion.epoch else { return }
        let moved = nodes[i].replica!.pendingRequests
        nodes[i].retired = nodes[i].replica
        nodes[i].epoch = completion.epoch + 1
        nodes[i].epochStart = completion.nextEpochStart
        nodes[i].disk = []
        nodes[i].votingFence = nil
        nodes[i].timers.cancelAll()
        nodes[i].stateTransferPending = false
        nodes[i].incarnation += 1
        trace("\(id) completes epoch \(completion.epoch) at \(completion.lastSequence) and starts epoch \(nodes[i].epoch) "
            + "with \(validatorCount(epoch: nodes[i].epoch)) validators (\(moved.count) requests moved)")
        start(id)
        if !moved.isEmpty { feed(id, .requests(moved)) }
        let j = change.joiner.index
        if !nodes[j].isUp && nodes[j].epoch == 0 {
            nodes[j].ledger = nodes[i].ledger
            nodes[j].epoch = nodes[i].epoch
            nodes[j].epochStart = completion.nextEpochStart
            trace("\(change.joiner) joins at \(nodes[j].ledger.height)")
            start(change.joiner)
        }
    }

    /// Delivers a verified message to the replica of `to` that works in its epoch: the current one, or the retired
    /// one of the previous epoch (which answers laggards). A message of a later epoch waits for retransmission.
    func deliver(_ message: Verified<LedgerMessage>, to: ReplicaID) {
        let i = to.index
        let epoch = message.message.epoch ?? nodes[i].epoch
        if epoch == nodes[i].epoch {
            feed(to, .message(message))
        } else if epoch + 1 == nodes[i].epoch, nodes[i].retired != nil {
            let actions = nodes[i].retired!.handle(.message(message), now: clock(of: to))
            invariants.observe(replica: to, broken: nodes[i].retired!.checkInvariants(), at: now)
            for action in actions {
                switch action {
                case let .send(m, recipient): transmit(m, from: to, to: [recipient])
                case let .broadcast(m): transmit(m, from: to, to: others(of: to, epoch: epoch))
                default: break  // it orders nothing new: no timers, log, commits or transfers
                }
            }
        }
    }
}

// MARK: The operator's change and the membership check

extension SimulationRun {
    /// After the first honest execution of `height`: the operator submits its change to every validator once the
    /// chain reaches `addsValidatorAfterBlock`, and again every `changeResubmitBlocks` blocks until one commits it.
    func submitChangeIfDue(after height: Height) {
        guard let first = parameters.addsValidatorAfterBlock, let change = plannedChange, let joiner = plannedJoiner,
              membershipChange == nil, height.rawValue >= first
        else { return }
        if let last = changeSubmittedAt, height.rawValue < last.rawValue &+ SimulationLimits.changeResubmitBlocks { return }
        changeSubmittedAt = height
        trace("operator submits validator-set change \(change.id.hex.prefix(12)) adding \(joiner) with \(change.approvals.count) approvals at \(height)")
        for r in 0..<scenario.replicaCount { queue.schedule(.changeArrives(ReplicaID(r)), at: now.advanced(by: wireDelay())) }
    }

    /// The change reaches replica `id`: an up validator of epoch 0 with no change pending queues it, as the node's
    /// change pool does (a copy that arrives later is refused there).
    func changeArrives(_ id: ReplicaID) {
        let i = id.index
        guard let change = plannedChange, nodes[i].isUp, nodes[i].epoch == 0, nodes[i].replica != nil,
              nodes[i].ledger.membership.pending == nil, nodes[i].ledger.membership.epoch == 0
        else { return }
        feed(id, .requests([.validatorSetChange(change)]))
    }

    /// After `id` executed a block: the run learns when its change committed (the ledger's execution decided it,
    /// `Membership.accepting`), and the first honest execution of a block that applied a change is checked on its
    /// own: a quorum of the set that approved it (distinct members, valid signatures) must have approved it.
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
        }
        guard membershipChange == nil, let joiner = plannedJoiner, let pending = execution.membership.pending else { return }
        membershipChange = MembershipChange(block: block.height, lastSequence: pending.lastSequence, joiner: joiner)
        trace("validator-set change committed at \(block.height): epoch 0 ends at \(pending.lastSequence), epoch 1 has \(pending.validators.count) validators")
    }
}
