import LedgerCore
import LedgerCrypto

/// The consensus parameters of one replica (from genesis plus the replica's own id).
public struct ReplicaConfiguration: Hashable, Sendable {
    /// Number of validators `n` (any `n ≥ 1`; `QuorumRule` sizes the quorums).
    public var replicaCount: Int
    /// This replica's id, `0..<n`.
    public var replicaID: ReplicaID
    /// The chain id every signature covers.
    public var chainID: String
    /// The epoch this replica works in: 0 from genesis, one more per validator-set change
    /// (decision 0038). Every message it signs carries it; it accepts messages of it only.
    public var epoch: UInt64 = 0
    /// The checkpoint the epoch starts from, stable by definition (genesis in epoch 0; the
    /// previous epoch's last sequence number and its block hash otherwise). A replica starts
    /// with it as its stable checkpoint, its low watermark, when its log holds no later one.
    public var epochStart: EpochStart = .genesis
    /// The epoch's last sequence number `a`, when it is known at start (a restart after the
    /// block holding the validator-set change executed), else `nil`; the driver reports it at
    /// run time with `Event.epochEnds`. Nothing above it is proposed, prepared or committed.
    public var lastSequence: SequenceNumber?
    /// Checkpoint interval `K`: a checkpoint after every seq divisible by it.
    public var checkpointInterval: UInt64
    /// Watermark window `L`: the high watermark is `low + L`. A multiple of `K`.
    public var window: UInt64
    /// The most transactions the primary puts in one batch.
    public var maxBatchTxs: Int
    /// The largest encoded batch the primary cuts (header + the requests' `encodedByteCount`s);
    /// set it to the ledger's batch size limit.
    public var maxBatchBytes: Int
    /// How long the primary waits with at least one pending request before cutting a smaller batch, ms.
    public var batchDelayMs: UInt64
    /// While this many of the primary's proposals are still uncommitted, it holds a batch that is
    /// not full past the batch delay and cuts it when one commits (see `Replica.tryPropose`).
    public var partialBatchDepth: Int
    /// The longest the primary holds an unproposed request for a fuller batch whatever the depth,
    /// ms (at least `batchDelayMs`; below the pace check's floor so an honest primary never trips it).
    public var maxBatchHoldMs: UInt64
    /// How long a backup waits for pending work to execute before it starts a view change, ms.
    public var viewChangeTimeoutMs: UInt64
    /// The longest view-change timeout after doubling, ms.
    public var maxViewChangeTimeoutMs: UInt64
    /// How far ahead of a backup's clock a batch timestamp may be, ms.
    public var maxClockDriftMs: UInt64
    /// The retransmission / status period, ms.
    public var retransmitIntervalMs: UInt64
    /// The most requests queued while waiting to be batched (FIFO, deduplicated by hash).
    public var maxPendingRequests: Int
    /// Whether backups run the proposal-pace check (`Replica+Pace.swift`) besides the
    /// view-change timer. Off only when the bounds below cannot sit between the batch delay and
    /// the view-change timeout.
    public var isPaceCheckEnabled: Bool
    /// The proposal-latency bound never drops below this, ms (however fast earlier views were).
    public var proposalLatencyFloorMs: UInt64
    /// The proposal-latency bound never exceeds this, ms; also the bound with no pace history.
    public var proposalLatencyCeilingMs: UInt64
    /// Extra wait for requests already pending when a view starts, ms.
    public var viewStartGraceMs: UInt64
    /// The bound is `batchDelayMs + proposalLatencySlack × expected` (clamped to floor…ceiling).
    public var proposalLatencySlack: UInt64
    /// How many earlier views' proposal latencies a backup remembers for `expected`.
    public var paceHistoryViews: Int
    /// Whether backups relay the requests they hold unordered to the primary before they could
    /// suspect it (`Replica+Relay.swift`). Off only to measure what the relay changes.
    public var isRequestRelayEnabled = true
    /// Whether answers to a peer's STATUS and to its VIEW-CHANGE for an installed view are rate
    /// limited (`PBFTLimits.repliesPerPeerPerRetransmitInterval`). Off only to measure what the
    /// limit changes.
    public var isReplyLimitEnabled = true
    /// A quorum other than `quorumRule.quorum`, or `nil` (always, in a node). Set only by the
    /// simulator's self-test that shows what the rule protects against: with n = 5 and the
    /// classic 2f + 1 = 3, two quorums can meet in the faulty primary alone and an equivocating
    /// primary forks the honest replicas (`SimulationParameters.quorumOverride`).
    public var quorumOverride: Int?

    /// A configuration; call `validate()` (the replica's init does).
    public init(
        replicaCount: Int, replicaID: ReplicaID, chainID: String,
        checkpointInterval: UInt64 = 16, window: UInt64 = 64,
        maxBatchTxs: Int = 500, maxBatchBytes: Int = 1_000_000, batchDelayMs: UInt64 = 50,
        viewChangeTimeoutMs: UInt64 = 2_000, maxViewChangeTimeoutMs: UInt64 = PBFTLimits.defaultMaxViewChangeTimeoutMs,
        maxClockDriftMs: UInt64 = 5_000, retransmitIntervalMs: UInt64 = 500,
        maxPendingRequests: Int = PBFTLimits.defaultMaxPendingRequests,
        isPaceCheckEnabled: Bool? = nil, proposalLatencyFloorMs: UInt64? = nil, proposalLatencyCeilingMs: UInt64? = nil,
        viewStartGraceMs: UInt64? = nil, proposalLatencySlack: UInt64 = PBFTLimits.defaultProposalLatencySlack,
        paceHistoryViews: Int = PBFTLimits.defaultPaceHistoryViews,
        partialBatchDepth: Int = PBFTLimits.defaultPartialBatchDepth, maxBatchHoldMs: UInt64? = nil
    ) {
        self.replicaCount = replicaCount; self.replicaID = replicaID; self.chainID = chainID
        self.checkpointInterval = checkpointInterval; self.window = window
        self.maxBatchTxs = maxBatchTxs; self.maxBatchBytes = maxBatchBytes; self.batchDelayMs = batchDelayMs
        self.viewChangeTimeoutMs = viewChangeTimeoutMs; self.maxViewChangeTimeoutMs = maxViewChangeTimeoutMs
        self.maxClockDriftMs = maxClockDriftMs; self.retransmitIntervalMs = retransmitIntervalMs
        self.maxPendingRequests = maxPendingRequests
        let derived = Self.derivedPaceBounds(viewChangeTimeoutMs: viewChangeTimeoutMs)
        self.proposalLatencyFloorMs = proposalLatencyFloorMs ?? derived.floorMs
        self.proposalLatencyCeilingMs = proposalLatencyCeilingMs ?? derived.ceilingMs
        self.viewStartGraceMs = viewStartGraceMs ?? derived.graceMs
        self.proposalLatencySlack = proposalLatencySlack
        self.paceHistoryViews = paceHistoryViews
        self.partialBatchDepth = partialBatchDepth
        let floor = self.proposalLatencyFloorMs
        self.maxBatchHoldMs = maxBatchHoldMs ?? max(batchDelayMs, floor / PBFTLimits.defaultBatchHoldFloorDivisor)
        // Bounds derived from a genesis that leaves them no room turn the check off; bounds set
        // explicitly are checked by `validate()` instead.
        let allDerived = proposalLatencyFloorMs == nil && proposalLatencyCeilingMs == nil && viewStartGraceMs == nil
            && maxBatchHoldMs == nil
            && proposalLatencySlack == PBFTLimits.defaultProposalLatencySlack && paceHistoryViews == PBFTLimits.defaultPaceHistoryViews
        self.isPaceCheckEnabled = true
        self.isPaceCheckEnabled = isPaceCheckEnabled ?? (!allDerived || paceRelationProblem == nil)
    }

    /// The default pace bounds for a view-change timeout `T` (the `PBFTLimits` fractions of it),
    /// so a genesis's `view_change_timeout_ms` sets them.
    public static func derivedPaceBounds(viewChangeTimeoutMs t: UInt64) -> (floorMs: UInt64, ceilingMs: UInt64, graceMs: UInt64) {
        func share(_ permille: UInt64) -> UInt64 {
            let (product, overflow) = t.multipliedReportingOverflow(by: permille)
            return overflow ? t / 1_000 * permille : product / 1_000
        }
        return (share(PBFTLimits.defaultProposalLatencyFloorPermille), share(PBFTLimits.defaultProposalLatencyCeilingPermille),
                share(PBFTLimits.defaultViewStartGracePermille))
    }

    /// Why the pace bounds do not fit between the batch delay and the view-change timeout, or
    /// `nil` when they do: `batchDelay < floor ≤ ceiling`, `ceiling + grace ≤ T`.
    var paceRelationProblem: String? {
        guard proposalLatencyFloorMs > batchDelayMs else {
            return "proposalLatencyFloorMs \(proposalLatencyFloorMs) must exceed batchDelayMs \(batchDelayMs)"
        }
        guard proposalLatencyCeilingMs >= proposalLatencyFloorMs else {
            return "proposalLatencyCeilingMs \(proposalLatencyCeilingMs) must be at least proposalLatencyFloorMs \(proposalLatencyFloorMs)"
        }
        let (sum, overflow) = proposalLatencyCeilingMs.addingReportingOverflow(viewStartGraceMs)
        guard !overflow, sum <= viewChangeTimeoutMs else {
            return "proposalLatencyCeilingMs \(proposalLatencyCeilingMs) + viewStartGraceMs \(viewStartGraceMs) must be at most viewChangeTimeoutMs \(viewChangeTimeoutMs)"
        }
        guard proposalLatencySlack >= 1, proposalLatencySlack <= PBFTLimits.maxProposalLatencySlack else {
            return "proposalLatencySlack \(proposalLatencySlack) must be 1...\(PBFTLimits.maxProposalLatencySlack)"
        }
        guard paceHistoryViews >= 1, paceHistoryViews <= PBFTLimits.maxPaceHistoryViews else {
            return "paceHistoryViews \(paceHistoryViews) must be 1...\(PBFTLimits.maxPaceHistoryViews)"
        }
        guard maxBatchHoldMs < proposalLatencyFloorMs else {
            return "maxBatchHoldMs \(maxBatchHoldMs) must be below proposalLatencyFloorMs \(proposalLatencyFloorMs) (an honest primary's hold must not look slow)"
        }
        return nil
    }

    /// How long a backup holds a request unordered before it relays it to the primary, ms: the
    /// pace check's floor (or, with the check off, the view-change timeout) divided by
    /// `PBFTLimits.requestRelayDelayDivisor`, so the primary has the rest of that time to order it.
    public var requestRelayDelayMs: UInt64 {
        max(1, (isPaceCheckEnabled ? proposalLatencyFloorMs : viewChangeTimeoutMs) / PBFTLimits.requestRelayDelayDivisor)
    }

    /// How long a backup holds a request unordered before it relays it once a relay was needed in
    /// the view (`PBFTLimits.promptRelayDelayBatchDelays` batch delays, never above
    /// `requestRelayDelayMs`).
    public var promptRequestRelayDelayMs: UInt64 {
        let (delay, overflow) = batchDelayMs.multipliedReportingOverflow(by: PBFTLimits.promptRelayDelayBatchDelays)
        return max(1, min(requestRelayDelayMs, overflow ? UInt64.max : delay))
    }

    /// The least time between two answers to one peer's STATUS (or to its VIEW-CHANGE for an
    /// installed view), ms; 0 when replies are not limited.
    public var replySpacingMs: UInt64 {
        isReplyLimitEnabled ? retransmitIntervalMs / PBFTLimits.repliesPerPeerPerRetransmitInterval : 0
    }

    /// The quorum sizes for `replicaCount` (`validate()` refuses a count below 1; for one this
    /// answers `QuorumRule.single`, so nothing traps before validation).
    public var quorumRule: QuorumRule { QuorumRule(replicaCount) ?? .single }
    /// The number of faults tolerated, `f = (n - 1) / 3`.
    public var f: Int { quorumRule.f }
    /// The quorum `⌈(n + f + 1) / 2⌉` (`QuorumRule.quorum`; `2f + 1` when n = 3f + 1).
    public var quorum: Int { quorumOverride ?? quorumRule.quorum }
    /// The PREPAREs from distinct backups a prepared certificate needs besides the primary's
    /// PRE-PREPARE: `quorum − 1`, so that the certificate names a quorum of replicas.
    public var backupPrepares: Int { quorum - 1 }
    /// The weak quorum `f + 1` (at least one honest replica).
    public var weakQuorum: Int { quorumRule.weakQuorum }

    /// Throws `invalidConfiguration` naming the first unusable field.
    public func validate() throws(PBFTError) {
        guard replicaCount >= 1, replicaCount <= PBFTLimits.maxReplicaCount else {
            throw .invalidConfiguration("replicaCount is \(replicaCount); it must be 1...\(PBFTLimits.maxReplicaCount)")
        }
        if let quorumOverride, quorumOverride < 1 || quorumOverride > replicaCount {
            throw .invalidConfiguration("quorumOverride is \(quorumOverride); it must be 1...\(replicaCount)")
        }
        guard replicaID.index >= 0, replicaID.index < replicaCount else {
            throw .invalidConfiguration("replicaID \(replicaID) is outside 0..<\(replicaCount)")
        }

        let chainBytes = chainID.utf8.count
        guard chainBytes >= 1, chainBytes <= PBFTLimits.maxChainIDBytes else {
            throw .invalidConfiguration("chainID is \(chainBytes) bytes; it must be 1...\(PBFTLimits.maxChainIDBytes)")
        }
        guard checkpointInterval >= 1 else { throw .invalidConfiguration("checkpointInterval must be at least 1") }
        guard window >= checkpointInterval, window % checkpointInterval == 0, window <= PBFTLimits.maxWindow else {
            throw .invalidConfiguration(
                "window \(window) must be a multiple of checkpointInterval \(checkpointInterval) and at most \(PBFTLimits.maxWindow)")
        }
        // Both ends of an epoch are checkpoints: the next epoch starts once its last one is stable.
        guard epochStart.sequence.rawValue % checkpointInterval == 0 else {
            throw .invalidConfiguration("epochStart \(epochStart.sequence) is not a multiple of checkpointInterval \(checkpointInterval)")
        }
        if let lastSequence, lastSequence <= epochStart.sequence || lastSequence.rawValue % checkpointInterval != 0 {
            throw .invalidConfiguration(
                "lastSequence \(lastSequence) must be a multiple of checkpointInterval \(checkpointInterval) above the epoch's start \(epochStart.sequence)")
        }
        guard maxBatchTxs >= 1 else { throw .invalidConfiguration("maxBatchTxs must be at least 1") }
        guard partialBatchDepth >= 1, partialBatchDepth <= PBFTLimits.maxPartialBatchDepth else {
            throw .invalidConfiguration("partialBatchDepth \(partialBatchDepth) must be 1...\(PBFTLimits.maxPartialBatchDepth)")
        }
        guard maxBatchHoldMs >= batchDelayMs else {
            throw .invalidConfiguration("maxBatchHoldMs \(maxBatchHoldMs) must be at least batchDelayMs \(batchDelayMs)")
        }
        guard maxBatchBytes >= 1, maxBatchBytes <= PBFTLimits.maxBatchEncodedBytes else {
            throw .invalidConfiguration("maxBatchBytes \(maxBatchBytes) must be 1...\(PBFTLimits.maxBatchEncodedBytes)")
        }
        guard viewChangeTimeoutMs >= 1, maxViewChangeTimeoutMs >= viewChangeTimeoutMs else {
            throw .invalidConfiguration("viewChangeTimeoutMs must be at least 1 and at most maxViewChangeTimeoutMs")
        }
        guard retransmitIntervalMs >= 1 else { throw .invalidConfiguration("retransmitIntervalMs must be at least 1") }
        guard maxPendingRequests >= 1 else { throw .invalidConfiguration("maxPendingRequests must be at least 1") }
        if isPaceCheckEnabled, let problem = paceRelationProblem { throw .invalidConfiguration(problem) }
    }
}
