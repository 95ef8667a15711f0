import LedgerCore
import LedgerCrypto

/// What the driver feeds the replica. Time enters only as the `now` argument of `handle`.
public enum Event<B: ConsensusBatch>: Sendable {
    /// Start (empty `recovered`) or restart from the persisted consensus log. Must be the first event.
    case start(RecoveredState<B>)
    /// A verified message from a peer (or forwarded by one).
    case message(Verified<Message<B>>)
    /// A timer set with `Action.setTimer` fired.
    case timerFired(TimerKind)
    /// Verified client requests from the mempool (signatures already checked by the driver).
    case requests([B.Request])
    /// The driver executed the batch committed at `sequence`, producing block hash `blockHash`.
    case executed(SequenceNumber, blockHash: Digest)
    /// The epoch ends at `lastSequence` (`EpochBoundary.lastSequence`): the driver executed the
    /// block holding a validator-set change. **Order:** feed it right after the `.executed` of
    /// that block, before any other event; when a state transfer brings that block, before the
    /// transfer's `stateTransferred`. Then no replica has voted above it yet
    /// (`Replica+Epoch.swift` argues why). Nothing above it is proposed, prepared or committed in
    /// this epoch; once its checkpoint is stable the replica emits `Action.epochComplete`.
    case epochEnds(lastSequence: SequenceNumber)
    /// State transfer finished: the driver's state now ends at `sequence` with block `blockHash`,
    /// whose batch had timestamp `timestampMilliseconds`.
    case stateTransferred(SequenceNumber, blockHash: Digest, timestampMilliseconds: UInt64)
    /// Requests the driver saw committed without a `.commit` action (in blocks fetched by state
    /// transfer): the core drops them from its pending queue so they neither wait forever (and
    /// trigger a needless view change) nor get proposed again. Must come before the
    /// `stateTransferred` of that transfer: a primary proposes what it holds as soon as that arrives.
    case requestsCommitted([Digest])
    /// Commit certificates of blocks a state transfer fetched at heights this replica may hold log entries for
    /// (verified): before the transfer prunes those entries, each is compared with the votes it received itself, so
    /// an equivocating primary is caught even when the replica that saw the other batch catches up by state transfer
    /// (`crossCheck`). Must come before the `stateTransferred` it belongs to.
    case transferredCertificates([Verified<CommitCertificate>])
}

/// What a replica restarts from.
public struct RecoveredState<B: ConsensusBatch>: Sendable {
    /// Every consensus-log record persisted (in order); records at or below a persisted stable
    /// checkpoint may have been pruned.
    public var records: [LogRecord<B>]
    /// The highest sequence number the driver has executed (its last block height).
    public var lastExecuted: SequenceNumber
    /// The hash of that block (`Digest.zero` at genesis).
    public var lastExecutedBlockHash: Digest
    /// The timestamp of that block's batch (0 at genesis).
    public var lastExecutedTimestampMilliseconds: UInt64
    /// Set when records of this replica's consensus log were lost (they could not be read back):
    /// the replica signs no PRE-PREPARE, PREPARE, COMMIT, VIEW-CHANGE or NEW-VIEW until its stable
    /// checkpoint reaches this sequence number, because it no longer knows which of those it
    /// already signed. `votingFence(highestLoggedSequence:lastExecuted:window:)` is the rule.
    public var votingFence: SequenceNumber?

    /// Recovered state from its parts.
    public init(records: [LogRecord<B>], lastExecuted: SequenceNumber, lastExecutedBlockHash: Digest,
                lastExecutedTimestampMilliseconds: UInt64, votingFence: SequenceNumber? = nil) {
        self.records = records; self.lastExecuted = lastExecuted
        self.lastExecutedBlockHash = lastExecutedBlockHash
        self.lastExecutedTimestampMilliseconds = lastExecutedTimestampMilliseconds
        self.votingFence = votingFence
    }

    /// The voting fence after some consensus-log records were lost. A replica signs votes only for
    /// sequence numbers in its window `(h, h + window]`, and `h` (its stable checkpoint) never
    /// exceeds the highest sequence number it logged, so every vote a lost record could stand for
    /// is at or below `max(highestLoggedSequence, lastExecuted) + window`. Once the replica's own
    /// stable checkpoint reaches that number, no future view or sequence can involve what it
    /// forgot: its VIEW-CHANGEs report only certificates above the checkpoint, and every slot it
    /// may vote in lies above it.
    ///
    /// `highestLoggedSequence` is the highest sequence number of any record the log held, readable
    /// or not (view-level records carry none); `lastExecuted` the height of the driver's state.
    public static func votingFence(highestLoggedSequence: SequenceNumber, lastExecuted: SequenceNumber,
                                   window: UInt64) -> SequenceNumber {
        max(highestLoggedSequence, lastExecuted).adding(window) ?? SequenceNumber(.max)
    }

    /// A first start at genesis.
    public static var genesis: RecoveredState<B> {
        RecoveredState(records: [], lastExecuted: .zero, lastExecutedBlockHash: .zero, lastExecutedTimestampMilliseconds: 0)
    }
}

/// The replica's timers. At most one of each kind is pending; setting one replaces it.
public enum TimerKind: Hashable, Sendable, CaseIterable {
    /// The primary's batch delay.
    case batch
    /// The view-change timer (waiting for pending work, or for a NEW-VIEW).
    case viewChange
    /// Periodic retransmission and STATUS.
    case retransmit
    /// A backup's proposal-pace check (the oldest unordered request's deadline; `Replica+Pace.swift`).
    case pace
    /// A backup's relay of held requests to the primary (`Replica+Relay.swift`).
    case relay
}
