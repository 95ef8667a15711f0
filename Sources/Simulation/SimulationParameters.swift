import LedgerCore
import LedgerCrypto
import PBFT

/// The consensus and workload parameters every simulated run uses, and the liveness bound
/// derived from them.
public struct SimulationParameters: Hashable, Sendable {
    /// The chain id of the simulated network.
    public var chainID = "sim-net"
    /// The chain and `epoch` the simulated validators of that epoch sign in.
    public func signingContext(epoch: UInt64) -> SigningContext { SigningContext(chainID: chainID, epoch: epoch) }
    /// Once an honest replica has executed this block, an operator submits a real `ValidatorSetChange` adding
    /// validator `n` (key `ledgerValidatorKey(n)`), approved by `changeApprovals` of epoch 0's validators, to every
    /// validator, and again every `SimulationLimits.changeResubmitBlocks` blocks until one commits it. The block
    /// that executes it (the ledger's own rule, `Membership.accepting`) ends epoch 0 at its boundary; every node
    /// switches to its epoch-1 replica at its `epochComplete` (`SimulationRun+Epochs.swift`). `nil`: one epoch.
    public var addsValidatorAfterBlock: UInt64?
    /// Several changes, one per epoch, in order (`add`, `remove`, `rotate`; `MembershipPlan`): the first is submitted
    /// once block `firstChangeAfterBlock` executed, each next one `changeAfterBlocks` blocks after the previous
    /// change's boundary. Empty: the one add of `addsValidatorAfterBlock`, if set.
    public var membershipChanges: [MembershipChangeKind] = []
    /// Blocks after the previous boundary (or genesis, without `addsValidatorAfterBlock`) before the next change.
    public var changeAfterBlocks: UInt64 = 20
    /// How many of epoch 0's validators approve that change (`nil`: the quorum of epoch 0's set). Fewer than the
    /// quorum: the ledger refuses the change at execution and the run stays in epoch 0.
    public var changeApprovals: Int?
    /// Approvals a change needs instead of its set's quorum (`ChangeRules.approvalQuorumOverride`), or `nil`. Set
    /// only by the membership self-test: with fewer approvals than the quorum, the change is applied and the
    /// simulator's independent check of every applied change must report it.
    public var changeQuorumOverride: Int?
    /// Self-tests only: the planned change of this index (0 = the first) carries one approval fewer than its set's quorum.
    public var underApprovedChange: Int?
    /// Tests only: break the run's membership handling on purpose (`MembershipSabotage`).
    var membershipSabotage: MembershipSabotage?
    /// Tests only: crash periods added to the drawn fault schedule (a node down across chosen boundaries).
    var extraCrashes: [CrashPeriod] = []
    /// Checkpoint interval `K` (small, so checkpoints and garbage collection happen often).
    public var checkpointInterval: UInt64 = 8
    /// Watermark window `L`.
    public var window: UInt64 = 32
    /// Most transactions per batch.
    public var maxBatchTxs = 64
    /// The primary's batch delay, ms.
    public var batchDelayMs: UInt64 = 10
    /// Initial view-change timeout, ms.
    public var viewChangeTimeoutMs: UInt64 = 1_000
    /// Largest view-change timeout after doubling, ms.
    public var maxViewChangeTimeoutMs: UInt64 = 8_000
    /// Largest clock difference between two replicas, ms (offsets are ± half of it).
    public var maxClockDriftMs: UInt64 = 500
    /// Retransmission / STATUS period, ms.
    public var retransmitIntervalMs: UInt64 = 250
    /// How often a client re-sends its uncommitted transactions, ms.
    public var clientRetryMs: UInt64 = 1_000
    /// Balance of every client account at genesis.
    public var initialBalance: UInt64 = 1_000_000_000
    /// The wall-clock epoch the virtual clock starts at, ms (replica clocks read epoch + virtual + offset).
    public var epochMs: UInt64 = 1_800_000_000_000
    /// How often (virtual ms) the run checks for overdue transactions, so a stuck run stops early.
    public var livenessProbeMs: UInt64 = 1_000
    /// Whether backups run the proposal-pace check (off only to measure what it changes).
    public var isPaceCheckEnabled = true
    /// Whether backups relay the requests they hold to the primary (off only to measure what it changes).
    public var isRequestRelayEnabled = true
    /// Whether replicas limit their answers per peer and receivers accept STATUS, VIEW-CHANGE and
    /// BATCH-FETCH only from their signer's link (off only to measure what it changes).
    public var limitsReplies = true
    /// Whether a replica that caught up by state transfer is told which requests the fetched blocks
    /// committed (`Event.requestsCommitted`, as the node does). Off only to show what the
    /// committed-request check (`checkNoCommittedRequestPending`) catches.
    public var reportsTransferredRequests = true
    /// The largest encoded message an honest replica may send (the node's P2P frame limit plays
    /// this part). Above the largest batch the sweep's workload produces (64 transfers, about
    /// 12 KiB) and a NEW-VIEW with a full window of certificates named by digest (about 40 KiB),
    /// below a VIEW-CHANGE that attached every prepared batch (up to a window of batches).
    public var maxMessageBytes = 96 * 1_024
    /// A quorum other than `QuorumRule`'s for every replica, the adversary's split and the
    /// checker's certificate check, or `nil` (the default). Set only by the self-test that shows
    /// what the rule protects against (`Simulator.quorumSelfTest`): with n = 5 and the
    /// classic 2f + 1 = 3, one equivocating primary forks the honest replicas.
    public var quorumOverride: Int?
    /// An amnesiac Byzantine replica restarts (forgetting its log) after a delay drawn from this range, ms.
    public var amnesiaRestartMs: ClosedRange<UInt64> = 300...3_000

    /// The defaults above.
    public init() {}

    /// The replica configuration for `replica` in a network of `replicaCount`.
    public func configuration(replica: ReplicaID, replicaCount: Int) -> ReplicaConfiguration {
        var configuration = ReplicaConfiguration(
            replicaCount: replicaCount, replicaID: replica, chainID: chainID,
            checkpointInterval: checkpointInterval, window: window, maxBatchTxs: maxBatchTxs,
            maxBatchBytes: 1_000_000, batchDelayMs: batchDelayMs, viewChangeTimeoutMs: viewChangeTimeoutMs,
            maxViewChangeTimeoutMs: maxViewChangeTimeoutMs, maxClockDriftMs: maxClockDriftMs,
            retransmitIntervalMs: retransmitIntervalMs, isPaceCheckEnabled: isPaceCheckEnabled ? nil : false)
        configuration.isRequestRelayEnabled = isRequestRelayEnabled
        configuration.isReplyLimitEnabled = limitsReplies
        configuration.quorumOverride = quorumOverride
        return configuration
    }

    /// The stated liveness bound: after GST (with at most `f` faulty replicas) a transaction
    /// commits within `(f + 2)` maximal view-change timeouts (up to `f` Byzantine primaries
    /// in a row, plus the view that was failing at GST), plus four retransmission periods, a
    /// client retry, ten worst-case message delays and a batch delay.
    public func livenessBoundMs(f: Int, maxMessageDelayMs: UInt64) -> UInt64 {
        UInt64(f + 2) * maxViewChangeTimeoutMs + 4 * retransmitIntervalMs + clientRetryMs
            + 10 * maxMessageDelayMs + batchDelayMs
    }

    /// The most log entries a replica may hold: the window `L` (entries above the high
    /// watermark are refused, entries at or below the low watermark are discarded).
    public var maxLogEntries: Int { Int(window) }

    /// The most checkpoint sequence numbers with votes a replica may hold: those in the window
    /// plus one at each end.
    public var maxCheckpointVoteSlots: Int { Int(window / checkpointInterval) + 2 }
}
