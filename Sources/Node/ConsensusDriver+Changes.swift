import LedgerCore
import LedgerCrypto
import P2P
import PBFT

/// Validator-set changes on their way into the chain (decision 0038): admitted by the chain's rule against the
/// current set, held until a block commits them, gossiped to the other validators, and the replica told where the
/// epoch ends once one is accepted.
extension ConsensusDriver {
    /// Admits a change submitted by an operator (`fromClient`) or gossiped by a peer, cheapest checks first:
    /// a change already held is answered with its hash; then the epoch, a pending change, the pool's room, and
    /// last the rule with its signatures (`ValidatorSetChange.nextSet`). Admitted, the replica gets it as a request, and a client's change goes to
    /// every other validator.
    public func admitChange(_ change: ValidatorSetChange, fromClient: Bool) throws(ChangeRejection) -> Digest {
        guard !isStopped else { throw .shuttingDown }
        let hash = change.hash
        if changePool.contains(hash) { return hash }
        if let pending = membership.pending { throw .refused(.changePending(lastSequence: pending.lastSequence.rawValue)) }
        guard change.epoch == membership.epoch else { throw .refused(.wrongEpoch(change: change.epoch, current: membership.epoch)) }
        guard changePool.count < NodeLimits.pendingChangesMax else { throw .full(capacity: NodeLimits.pendingChangesMax) }
        do {
            _ = try change.nextSet(after: membership.validators, currentEpoch: membership.epoch, chainID: genesis.chainID)
        } catch {
            throw .refused(error)
        }
        changePool.insert(change)
        logger.notice("validator-set change admitted", metadata: [
            "change": "\(change.id.hex.prefix(16))", "epoch": "\(change.epoch)", "approvals": "\(change.approvals.count)",
            "client": "\(fromClient)",
        ])
        if fromClient { gossipChanges([change], to: nil) }
        if role == .validator { handle(.requests([.validatorSetChange(change)])) }
        return hash
    }

    /// Sends `changes` to `recipients` (`nil`: every other validator).
    func gossipChanges(_ changes: [ValidatorSetChange], to recipients: [ReplicaID]?) {
        for change in changes {
            let frame = Envelope.wrap(.validatorSetChange, change.encoded())
            if let recipients {
                for to in recipients { _ = network.send(frame, to: PeerID(to.index)) }
            } else {
                _ = network.broadcast(frame)
            }
        }
    }

    /// The `epochEnds` event the replica has not had yet, if the ledger now knows where the epoch ends (after
    /// executing the block that accepted a change, by consensus or by state transfer).
    func epochEndToTell() -> LedgerEvent? {
        guard let end = knownEpochEnd, toldEpochEnd != end else { return nil }
        toldEpochEnd = end
        logger.notice("a validator-set change was accepted: this epoch ends at the boundary", metadata: [
            "last_block_of_epoch": "\(end.rawValue)", "epoch": "\(membership.epoch)",
            "next_validators": "\(membership.pending?.validators.count ?? membership.validators.count)",
        ])
        return .epochEnds(lastSequence: end)
    }

    /// Forgets the held changes a block committed (accepted or refused).
    func changesCommitted(_ block: Block) {
        for change in block.changes { changePool.remove(change.hash) }
    }
}
