import LedgerCore
import LedgerCrypto

extension SimulationParameters {
    /// The validator set as the simulated ledger's execution sees it (epoch 0): one Ed25519 key per
    /// replica, derived from its index (seed = 32 bytes of `index + 1`), and a placeholder address.
    /// Consensus messages in the simulator are signed by `SimulationKeys`, not these keys; they
    /// serve only to execute validator-set changes, whose approvals are Ed25519 signatures.
    public static func ledgerMembership(replicaCount: Int) -> Membership {
        let validators = (0..<replicaCount).map { i in
            Validator(id: ReplicaID(i), publicKey: ledgerValidatorKey(i).publicKey, p2pAddress: "replica-\(i).sim:1")
        }
        return Membership(epoch: 0, validators: validators, firstHeight: Height(1), pending: nil)
    }

    /// Replica `index`'s Ed25519 key in `ledgerMembership` (deterministic; for tests that approve changes).
    public static func ledgerValidatorKey(_ index: Int) -> SigningKey {
        // A 32-byte seed always makes a key.
        try! SigningKey(seed: [UInt8](repeating: UInt8(truncatingIfNeeded: index + 1), count: 32))
    }

    /// The chain and boundary parameters the simulated ledger executes changes with.
    public var changeRules: ChangeRules {
        var rules = ChangeRules(chainID: chainID, parameters: ConsensusParameters(
            maxBatchTransactions: maxBatchTxs, maxBatchBytes: 1_000_000, batchDelayMs: batchDelayMs,
            checkpointInterval: checkpointInterval, window: window, viewChangeTimeoutMs: viewChangeTimeoutMs,
            maxClockDriftMs: maxClockDriftMs))
        rules.approvalQuorumOverride = changeQuorumOverride
        return rules
    }

    /// The operator's change for `addsValidatorAfterBlock` in a network of `replicaCount`: add validator
    /// `replicaCount`, approved by the first `changeApprovals` (default: the quorum) validators of epoch 0.
    public func plannedChange(replicaCount: Int) -> ValidatorSetChange? {
        guard addsValidatorAfterBlock != nil, let rule = QuorumRule(replicaCount) else { return nil }
        let joiner = Self.ledgerValidatorKey(replicaCount).publicKey
        guard var change = try? ValidatorSetChange(
            chainID: chainID, epoch: 0,
            operations: [.add(publicKey: joiner, p2pAddress: "replica-\(replicaCount).sim:1", rpcAddress: nil)])
        else { return nil }
        for i in 0..<min(changeApprovals ?? rule.quorum, replicaCount) { change = change.approved(by: Self.ledgerValidatorKey(i)) }
        return change
    }
}
