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
    var stableProof: CheckpointProof = .genesis
    /// A stable checkpoint (2f + 1) we have not caught up to yet.
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

    // Requests.
    var pending: [Digest: B.Request] = [:]
    var pendingOrder: [Digest] = []
    var pendingHead = 0
    /// Index into `pendingOrder` before which every request is in flight or gone (primary only).
    var proposeCursor = 0
    var inFlight: Set<Digest> = []
    /// The largest `encodedByteCount` of any request queued so far (bounds a batch's bytes by count).
    var largestRequestBytes = 0
    var recentlyExecuted: Set<Digest> = []
    var recentlyExecutedOrder: [Digest] = []
    var recentlyExecutedHead = 0

    // Timers.
    var batchTimerRunning = false
    /// When the batch timer is due (the deadline it was armed for), while it runs.
    var batchTimerDueMs: UInt64 = 0
    /// Since when the primary has held an unproposed request (`nil`: it holds none).
    var batchHoldStartMs: UInt64?
    var viewChangeTimerRunning = false
    var retransmitTimerRunning = false
    var viewChangeTimeoutMs: UInt64
    /// The pending request the running view-change timer waits for (the oldest when it started).
    var watchedRequest: Digest?

    // Pace monitoring (backups; `Replica+Pace.swift`).
    /// When this replica learned of each pending request (`now` of its `Event.requests`).
    var pendingSinceMs: [Digest: UInt64] = [:]
    var paceTimerRunning = false
    /// When the current view started (installed, or the replica started in it).
    var viewStartedAtMs: UInt64 = 0
    /// Waits are measured from no earlier than this (view start + grace, or the last excuse).
    var paceClockStartMs: UInt64 = 0
    /// The last pace check found the window (possibly) full; a new stable checkpoint restarts the clock.
    var paceWindowMayBeFull = false
    /// The worst proposal latency seen in the current view, ms.
    var viewProposalLatencyMs: UInt64?
    /// The worst proposal latencies of earlier views (oldest first, at most `paceHistoryViews`).
    var paceHistoryMs: [UInt64] = []
    /// When a PRE-PREPARE of the current view's primary last arrived above our high watermark.
    var primaryProposedAboveWindowAtMs: UInt64?
    /// This replica voted the current primary out for its pace (its view is not remembered).
    var suspectedPrimaryOnPace = false

    // Relay of held requests to the primary (backups; `Replica+Relay.swift`).
    /// Index into `pendingOrder` before which every request was relayed in this view, ordered,
    /// or is gone: each request is relayed at most once per view.
    var relayCursor = 0
    var relayTimerRunning = false
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

    // View change.
    var latestViewChange: [ReplicaID: Signed<ViewChange>] = [:]
    /// Our VIEW-CHANGE with the batches of its certificates (served to replicas that fetch them).
    var ownViewChange: (message: Signed<ViewChange>, batches: [B])?
    /// The NEW-VIEW of the current view with the batches of its O set.
    var currentNewView: (message: Signed<NewView>, batches: [B])?
    /// A NEW-VIEW that checked out except for batches we lack; installed once they arrive.
    var pendingNewView: Signed<NewView>?
    /// Batches this replica asked for to finish a view change, by digest (bounded).
    var wantedBatches: [Digest: WantedBatch] = [:]
    /// Batches that arrived for wanted digests; emptied when a view is installed.
    var fetchedBatches: [Digest: B] = [:]
    /// When each batch was last sent to each peer in answer to a BATCH-FETCH (entries older than
    /// a retransmission interval are dropped at the peer's next fetch).
    var servedBatchesAtMs: [ReplicaID: [Digest: UInt64]] = [:]

    // Lone view changes (`Replica+Rejoin.swift`).
    /// The view this replica worked in before its current view change (`nil` when not changing).
    var viewBeforeChange: View?
    /// When this replica sent (or re-sent at a restart) the VIEW-CHANGE of its current view change.
    var viewChangeStartedAtMs: UInt64 = 0
    /// Each peer's latest STATUS and when it arrived (one entry per peer at most).
    var peerStatus: [ReplicaID: PeerStatus] = [:]
    /// The highest view change this replica abandoned: it signs no PRE-PREPARE, PREPARE or COMMIT
    /// in a view below it (its VIEW-CHANGE for it may still be used), until a view at or above it
    /// is installed.
    var abandonedViewChange: View?

    // Own signatures: (phase, view, seq) -> digest. Never sign a second different one.
    var signedSlots: [Slot: Digest] = [:]
    // Consensus-log records were lost: sign no vote until the stable checkpoint reaches this.
    var votingFence: SequenceNumber?
    // Evidence already reported, by (offender, slot).
    var reportedEvidence: Set<EvidenceKey> = []

    var counters = ReplicaCounters()

    init(configuration: ReplicaConfiguration) {
        viewChangeTimeoutMs = configuration.viewChangeTimeoutMs
    }

    var lowWatermark: SequenceNumber { stableProof.sequence }
}

/// A peer's latest STATUS and when it arrived.
struct PeerStatus: Sendable {
    var status: Status
    var atMs: UInt64
}

/// A batch a replica needs for a view change and who should hold it.
struct WantedBatch: Hashable, Sendable {
    /// Replicas that should hold it, in the order they are asked (one per ask, round robin).
    var sources: [ReplicaID]
    /// How many times it was asked for.
    var asked = 0
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
    public var pendingRequestCount: Int { state.pending.count }
    /// The current view-change timeout (doubles per failed view change).
    public var currentViewChangeTimeoutMs: UInt64 { state.viewChangeTimeoutMs }
    /// How long a backup lets a pending request wait for a PRE-PREPARE in the current view, ms.
    public var currentProposalLatencyBoundMs: UInt64 { proposalLatencyBound }
    /// Drop and rejection counters.
    public var counters: ReplicaCounters { state.counters }
}
