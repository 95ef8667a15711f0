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

    /// The run's changes in order: `membershipChanges`, or one add when only `addsValidatorAfterBlock` is set.
    public var plannedChangeKinds: [MembershipChangeKind] {
        if !membershipChanges.isEmpty { return membershipChanges }
        return addsValidatorAfterBlock == nil ? [] : [.add]
    }

    /// The block after which the operator submits the first change: `addsValidatorAfterBlock`, else `changeAfterBlocks`.
    public var firstChangeAfterBlock: UInt64 { addsValidatorAfterBlock ?? changeAfterBlocks }

    /// Why the planned changes cannot run from `replicaCount` validators (a set outside the ledger's size range), or `nil`.
    public func membershipProblem(replicaCount: Int) -> String? {
        MembershipPlan.problem(kinds: plannedChangeKinds, replicaCount: replicaCount)
    }
}

/// How a test breaks the run's membership handling on purpose, to show that a check catches it.
enum MembershipSabotage: Hashable, Sendable {
    /// At every switch, a node keeps the identity (replica id and key) it had in the epoch before: a rotated
    /// validator signs with its old key, a removed one keeps voting under its old id, a shifted one under its old id.
    case staleIdentity
    /// The simulator's own map of the next set is wrong: it expects a rotated key that is not the one the change names.
    case wrongPlannedSet
}
