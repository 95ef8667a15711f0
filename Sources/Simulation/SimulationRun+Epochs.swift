// The run's one validator-set change (`SimulationParameters.addsValidatorAtBlock`): validator `n` joins. Each node
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
