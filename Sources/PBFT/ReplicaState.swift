import LedgerCore
import LedgerCrypto

/// The replica's mutable state, kept in one value so a replica is a plain `Sendable` struct.

/// Everything known about one sequence number above the low watermark.
struct LogEntry<B: ConsensusBatch>: Sendable {
    /// The view the fields below belong to (pre-prepare, prepares, commits).
    var view: View
    var prePrepare: Signed<PrePrepare>?
    var batch: B?
    /// Prepares and commits in `view`, first one per replica (a second, different one is evidence).
    var prepares: [ReplicaID: Signed<Prepare>] = [:]
    var commits: [ReplicaID: Signed<Commit>] = [:]
    var sentPrepare = false
    var sentCommit = false
    /// When the pre-prepare was accepted (for the view-change timer).
    var acceptedAtMs: UInt64 = 0
    /// The prepared certificate from the highest view this replica prepared in (kept across views).
    var prepared: PreparedCertificate?
    var preparedBatch: B?
    /// Set when committed-local (or when a certified batch arrives from a peer).
    var certificate: CommitCertificate?
    var committedBatch: B?

    init(view: View) { self.view = view }
}

struct ReplicaState<B: ConsensusBatch>: Sendable {
    var started = false
    var view: View = .zero
    var isChangingView = false

    // Log and watermarks.
    var entries: [SequenceNumber: LogEntry<B>] = [:]
    /// The latest stable checkpoint; the epoch's start until a later one is stable.
    var stableProof: CheckpointProof
    /// A stable checkpoint (a quorum's proof) we have not caught up to yet.
    var pendingStableProof: CheckpointProof?
    var ownCheckpoints: [SequenceNumber: Signed<Checkpoint>] = [:]
    var checkpointVotes: [SequenceNumber: [ReplicaID: Signed<Checkpoint>]] = [:]
    var latestCheckpointFrom: [ReplicaID: Signed<Checkpoint>] = [:]

    // Execution.
    var lastCommitted: SequenceNumber = .zero
    var lastExecuted: SequenceNumber = .zero
    var lastExecutedBlockHash: Digest = .zero
    /// Timestamp of the last committed non-null batch (the floor for the next one).
    var lastCommittedTimestampMs: UInt64 = 0
    var stateTransferRequest: StateTransferTarget?
    var stateTransferTarget: SequenceNumber? { stateTransferRequest?.sequence }
    var lastCommittedAtPreviousTick: SequenceNumber = .zero

    // Primary.
    var nextSequence: SequenceNumber = .zero
    var lastProposedTimestampMs: UInt64 = 0
    var isProposing = false

    /// Pending client requests (`Replica+Requests.swift`, `Replica+Relay.swift`).
    var queue = RequestQueue<B>()

    /// Which timers run and what they wait for (`TimerState`).
    var timers: TimerState

    /// The backup's watch on the primary's pace (`Replica+Pace.swift`).
    var pace = PaceMonitor()

    // Relay of held requests to the primary (backups; `Replica+Relay.swift`; its timer is in `timers`).
    /// When this backup last relayed a full batch's worth (the next relay waits a batch delay).
    var lastFullRelayAtMs: UInt64?
    /// A request waited the full relay delay unordered in this view, so something keeps requests
    /// from the primary: the rest of the view relays after the prompt delay.
    var relaysPromptInView = false

    // Reply limits (`Replica+Replies.swift`), one entry per peer at most.
    /// When each peer's STATUS was last answered.
    var statusAnsweredAtMs: [ReplicaID: UInt64] = [:]
    /// When each peer's VIEW-CHANGE for an installed view was last answered with the NEW-VIEW.
    var newViewResentAtMs: [ReplicaID: UInt64] = [:]

    /// View-change messages (`Replica+ViewChange.swift`).
    var viewChange = ViewChangeState<B>()
    /// Batches fetched and served for view changes (`Replica+BatchFetch.swift`).
    var fetch = BatchFetchState<B>()
    /// Lone view changes (`Replica+Rejoin.swift`).
    var rejoin = LoneViewChangeState()

    // Own signatures: (phase, view, seq) -> digest. Never sign a second different one.
    var signedSlots: [Slot: Digest] = [:]
    // Consensus-log records were lost: sign no vote until the stable checkpoint reaches this.
    var votingFence: SequenceNumber?
    // Evidence already reported, by (offender, slot).
    var reportedEvidence: Set<EvidenceKey> = []

    /// The epoch's end (`Replica+Epoch.swift`).
    var epoch: EpochState

    var counters = ReplicaCounters()

    init(configuration: ReplicaConfiguration) {
        timers = TimerState(viewChangeTimeoutMs: configuration.viewChangeTimeoutMs)
        stableProof = configuration.epochStart.proof
        epoch = EpochState(lastSequence: configuration.lastSequence)
    }

    var lowWatermark: SequenceNumber { stableProof.sequence }
}

struct EvidenceKey: Hashable, Sendable {
    var offender: ReplicaID
    var slot: Slot
}

extension Replica {
    /// The current view (or the view being changed to).
    public var view: View { state.view }
    /// `true` between sending VIEW-CHANGE and installing the NEW-VIEW.
    public var isChangingView: Bool { state.isChangingView }
    /// `true` if this replica is the primary of its current view.
    public var isPrimary: Bool { state.view.primary(replicaCount: configuration.replicaCount) == configuration.replicaID }
    /// The low watermark `h` (the last stable checkpoint).
    public var lowWatermark: SequenceNumber { state.lowWatermark }
    /// The high watermark `H = h + L`.
    public var highWatermark: SequenceNumber { state.lowWatermark.adding(configuration.window) ?? SequenceNumber(UInt64.max) }
    /// The last stable checkpoint and its proof.
    public var stableCheckpoint: CheckpointProof { state.stableProof }
    /// The highest sequence number handed to the driver as `.commit`.
    public var lastCommitted: SequenceNumber { state.lastCommitted }
    /// The highest sequence number the driver reported executed.
    public var lastExecuted: SequenceNumber { state.lastExecuted }
    /// Sequence numbers held in the log (bounded by the window).
    public var logEntryCount: Int { state.entries.count }
    /// The smallest sequence number held in the log (`nil` when empty); always above `lowWatermark`.
    public var lowestLogSequence: SequenceNumber? { state.entries.keys.min() }
    /// Checkpoint sequence numbers with votes held (bounded).
    public var checkpointVoteCount: Int { state.checkpointVotes.count }
    /// Requests waiting to be ordered (bounded by `maxPendingRequests`).
    public var pendingRequestCount: Int { state.queue.pending.count }
    /// Whether the request with digest `digest` waits to be ordered here.
    public func holdsPending(_ digest: Digest) -> Bool { state.queue.pending[digest] != nil }
    /// The current view-change timeout (doubles per failed view change).
    public var currentViewChangeTimeoutMs: UInt64 { state.timers.viewChangeTimeoutMs }
    /// How long a backup lets a pending request wait for a PRE-PREPARE in the current view, ms.
    public var currentProposalLatencyBoundMs: UInt64 { proposalLatencyBound }
    /// Drop and rejection counters.
    public var counters: ReplicaCounters { state.counters }
}
