import LedgerCore
import LedgerCrypto

/// What a node's driver runs: a pure state machine that takes `Event`s and returns `Action`s
/// (no I/O, clock or randomness). A validator runs `Replica`, which votes; a full node runs
/// `ChainFollower`, which only executes what a quorum committed. The driver performs the actions
/// of either the same way (docs/architecture.md §5).
public protocol ConsensusCore<B>: Sendable {
    /// The batch type.
    associatedtype B: ConsensusBatch
    /// Feeds one event; returns what to do, in order.
    mutating func handle(_ event: Event<B>, now: UInt64) -> [Action<B>]
    /// The cheap checks for batch-carrying messages before their signatures are verified.
    var intakeFilter: IntakeFilter<B> { get }
    /// The current view (a follower: the view of the last certificate it executed).
    var view: View { get }
    /// Mid view change (a follower never is).
    var isChangingView: Bool { get }
    /// How long the oldest request waiting to be ordered has waited, ms (0 when none).
    func oldestUnorderedWaitMs(now: UInt64) -> UInt64
    /// The pace check's bound on proposal latency, ms.
    var currentProposalLatencyBoundMs: UInt64 { get }
    /// Uncommitted log entries, oldest first, at most `limit` (a follower has none).
    func openSlots(limit: Int) -> [OpenSlot]
    /// The voting fence while votes are withheld (a follower never votes: `nil`).
    var votingFence: SequenceNumber? { get }
    /// The view a replica follows until, after an abandoned lone view change.
    var followsUntilView: View? { get }
    /// Lone view changes abandoned since start.
    var viewChangesAbandoned: Int { get }
}

/// One sequence number in a replica's log that it has not committed yet (`status.open_sequences`).
public struct OpenSlot: Sendable, Equatable {
    /// The sequence number.
    public var sequence: SequenceNumber
    /// The view the votes belong to.
    public var view: View
    /// The digest of the accepted PRE-PREPARE, if any.
    public var digest: Digest?
    /// Replicas whose PREPARE (for the view) was received, including this one's own; the primary's
    /// PRE-PREPARE stands for its prepare.
    public var preparesFrom: [ReplicaID]
    /// Replicas whose COMMIT was received, including this one's own.
    public var commitsFrom: [ReplicaID]
}

extension Replica: ConsensusCore {
    public var viewChangesAbandoned: Int { state.counters.viewChangesAbandoned }
}
