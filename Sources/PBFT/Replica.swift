import LedgerCore
import LedgerCrypto

/// The PBFT replica: a pure, deterministic state machine (Castro & Liskov, TOCS 2002).
///
/// Feed it events with `handle(_:now:)` and perform the returned actions in order (see
/// `Action` for the order of duties). It never reads a clock, does I/O, draws random numbers
/// or starts threads: the same events produce the same actions, so runs replay exactly.
public struct Replica<B: ConsensusBatch>: Sendable {
    /// The consensus parameters.
    public let configuration: ReplicaConfiguration
    let signer: any MessageSigner
    var state: ReplicaState<B>

    /// A replica that signs with `signer`. Send `.start` before anything else.
    public init(configuration: ReplicaConfiguration, signer: any MessageSigner) throws(PBFTError) {
        try configuration.validate()
        self.configuration = configuration
        self.signer = signer
        self.state = ReplicaState(configuration: configuration)
    }

    /// Handles one event at time `now` (milliseconds; only compared with earlier `now`s) and
    /// returns the actions to perform, in order. Debug builds then assert `checkInvariants()`.
    public mutating func handle(_ event: Event<B>, now: UInt64) -> [Action<B>] {
        var ctx = Context<B>(now: now)
        process(event, &ctx)
        // Debug builds check the replica's own state after every event (`Replica+Invariants.swift`).
        assert(checkInvariants().isEmpty, "replica \(configuration.replicaID) broke its invariants: \(checkInvariants())")
        return ctx.actions
    }
}

/// Accumulates the actions of one `handle` call.
struct Context<B: ConsensusBatch> {
    let now: UInt64
    var actions: [Action<B>] = []

    init(now: UInt64) { self.now = now }

    mutating func emit(_ a: Action<B>) { actions.append(a) }
}

/// Counters a checker or the metrics endpoint can read.
public struct ReplicaCounters: Hashable, Sendable {
    /// Messages for a view other than the current one (or arriving during a view change).
    public var droppedWrongView = 0
    /// Messages outside the watermarks (h, H].
    public var droppedOutsideWatermarks = 0
    /// Duplicates (already have the same message).
    public var duplicates = 0
    /// Messages that failed a structural check (bad certificate, wrong sender, wrong O set, bad timestamp...).
    public var rejected = 0
    /// Equivocations detected (evidence emitted).
    public var equivocations = 0
    /// View changes this replica started.
    public var viewChangesStarted = 0
    /// Of those, view changes started because the primary did not keep pace (proposal latency).
    public var paceViewChangesStarted = 0
    /// New views installed.
    public var newViewsInstalled = 0
    /// State transfers requested.
    public var stateTransfersRequested = 0
    /// Requests dropped because the pending queue was full.
    public var requestsDroppedQueueFull = 0
    /// Batches this replica fetched for a view change (VIEW-CHANGE and NEW-VIEW name them by digest).
    public var batchesFetched = 0
    /// Batches this replica sent in answer to BATCH-FETCHes.
    public var batchesServed = 0
    /// Fetched batches that arrived for a digest this replica had not asked for (dropped).
    public var unwantedBatches = 0
    /// BATCH-FETCH digests not answered because the batch went to that peer less than a
    /// retransmission interval ago.
    public var fetchesRefusedAsRepeats = 0
    /// Client requests this backup relayed to the primary (`Replica+Relay.swift`).
    public var requestsRelayed = 0
    /// Views in which this backup needed a relay and went on relaying after the prompt delay.
    public var promptRelayViews = 0
    /// STATUS messages not answered because the same peer was answered less than
    /// `ReplicaConfiguration.replySpacingMs` ago.
    public var statusRepliesSuppressed = 0
    /// VIEW-CHANGEs for an installed view not answered with its NEW-VIEW because the same peer was
    /// answered less than `ReplicaConfiguration.replySpacingMs` ago.
    public var newViewRepliesSuppressed = 0
    /// Lone view changes this replica abandoned for the view it left (`Replica+Rejoin.swift`).
    public var viewChangesAbandoned = 0

    /// All zero.
    public init() {}
}
