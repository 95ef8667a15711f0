import LedgerCore
import LedgerCrypto

/// What the replica asks its driver to do.
///
/// **Order of duties.** `handle` returns actions in the order they must be performed. The driver
/// performs them in that order; a `.persist` must be durable (fsync'd) before any `.send` or
/// `.broadcast` that follows it in the same list, because the persisted record is what stops
/// the replica signing a conflicting message after a crash. `.commit` actions come in strictly
/// increasing sequence order with no gaps; the driver executes each and reports
/// `Event.executed`. Timers, notes and evidence may be handled whenever convenient.
public enum Action<B: ConsensusBatch>: Sendable {
    /// Send `message` to one replica.
    case send(Message<B>, to: ReplicaID)
    /// Send `message` to every other replica.
    case broadcast(Message<B>)
    /// (Re)start the timer of `kind` to fire after `afterMilliseconds`.
    case setTimer(TimerKind, afterMilliseconds: UInt64)
    /// Stop the timer of `kind` (no-op if not running).
    case cancelTimer(TimerKind)
    /// Durably append `record` to the consensus log before performing any later send.
    case persist(LogRecord<B>)
    /// Execute the committed batch (next in sequence) and store it with its certificate.
    case commit(CommittedBatch<B>)
    /// Fetch blocks up to `target.sequence` from peers (verifying their commit certificates),
    /// then report `Event.stateTransferred`.
    case requestStateTransfer(StateTransferTarget)
    /// A validator signed two conflicting messages; keep and report the proof.
    case evidence(EquivocationEvidence)
    /// Something worth a log line or a trace (view changes, stable checkpoints, drops).
    case note(Note)
    /// The checkpoint at the epoch's last sequence number is stable (emitted once per start):
    /// the driver starts the next epoch's replica from `completion.nextEpochStart` and moves the
    /// requests still pending here (`Replica.pendingRequests`) into it. This replica still
    /// answers STATUS and serves checkpoints to laggards of its epoch, but orders nothing new.
    case epochComplete(EpochCompletion)
    /// Pass client requests this backup has held unordered for a while to `to`, the primary,
    /// the way the mempool gossips them (PBFT §4.1: a backup relays a request to the primary
    /// before it suspects it). The receiving driver checks them like gossip (signatures, then
    /// `Event.requests`). At most a batch's worth per action; see `Replica+Relay.swift`.
    case relay([B.Request], to: ReplicaID)
}

/// A batch that committed, with the proof.
public struct CommittedBatch<B: ConsensusBatch>: Hashable, Sendable {
    /// The sequence number (= block height).
    public var sequence: SequenceNumber
    /// The batch to execute.
    public var batch: B
    /// A quorum of signed commits for (view, sequence, batch.digest).
    public var certificate: CommitCertificate
    /// The primary of the view the batch was cut in (`batch.view`), the block's proposer. A
    /// function of the batch alone, so every replica computes the same block whatever view
    /// the batch committed in.
    public var proposer: ReplicaID
}

/// Where state transfer should bring the replica.
public struct StateTransferTarget: Hashable, Sendable {
    /// The sequence number to reach.
    public var sequence: SequenceNumber
    /// The block hash expected at `sequence`.
    public var blockHash: Digest
    /// Signed checkpoints for (`sequence`, `blockHash`) from at least f + 1 distinct validators;
    /// empty for an unanchored target (`unanchored(above:)`).
    public var checkpoints: [Signed<Checkpoint>]

    /// A target whose hash f + 1 validators vouched for.
    public init(sequence: SequenceNumber, blockHash: Digest, checkpoints: [Signed<Checkpoint>]) {
        self.sequence = sequence; self.blockHash = blockHash; self.checkpoints = checkpoints
    }

    /// "Fetch what the peers hold above `height`": no hash is known, so every fetched block is
    /// checked by its own commit certificate (a quorum of signatures), and the transfer ends at the first
    /// empty answer. A full node catching up after a gap or a restart asks for this.
    public static func unanchored(above height: SequenceNumber) -> StateTransferTarget {
        StateTransferTarget(sequence: height, blockHash: .zero, checkpoints: [])
    }

    /// Whether validators vouched for `blockHash` (otherwise see `unanchored(above:)`).
    public var isAnchored: Bool { !checkpoints.isEmpty }
}

/// Trace events for logs and the simulator.
public enum Note: Hashable, Sendable, CustomStringConvertible {
    /// The replica started (or restarted) in `view`.
    case started(view: View, lastExecuted: SequenceNumber, changingView: Bool)
    /// The replica sent VIEW-CHANGE for `view` (`reason` says why).
    case viewChangeStarted(view: View, reason: String)
    /// The replica entered `view` after a valid NEW-VIEW.
    case newViewInstalled(view: View, minS: SequenceNumber, maxS: SequenceNumber)
    /// The checkpoint at `sequence` became stable.
    case checkpointStable(SequenceNumber)
    /// A message was ignored (`reason`).
    case dropped(kind: String, from: ReplicaID?, reason: String)
    /// A NEW-VIEW or VIEW-CHANGE was rejected as invalid.
    case rejected(kind: String, from: ReplicaID?, reason: String)
    /// Records of the consensus log were lost: the replica signs no votes until its stable
    /// checkpoint reaches `until` (`RecoveredState.votingFence`).
    case votesWithheld(until: SequenceNumber)
    /// The stable checkpoint reached the voting fence: the replica votes again.
    case votingResumed(at: SequenceNumber)
    /// The replica's view change to `view` was lone (`Replica+Rejoin.swift`): `working` replicas
    /// still work in `returnedTo`, where it follows without voting until a view ≥ `view` is installed.
    case viewChangeAbandoned(view: View, returnedTo: View, working: Int)
    /// The driver reported the epoch's last sequence number (`Event.epochEnds`).
    case epochEnds(lastSequence: SequenceNumber)

    /// One line for logs.
    public var description: String {
        switch self {
        case let .started(v, n, c): "started in \(v) at \(n)\(c ? " (changing view)" : "")"
        case let .viewChangeStarted(v, r): "view change to \(v): \(r)"
        case let .newViewInstalled(v, lo, hi): "installed \(v) (min-s \(lo), max-s \(hi))"
        case let .checkpointStable(n): "checkpoint \(n) stable"
        case let .dropped(k, f, r): "dropped \(k) from \(f.map(\.description) ?? "?"): \(r)"
        case let .rejected(k, f, r): "rejected \(k) from \(f.map(\.description) ?? "?"): \(r)"
        case let .votesWithheld(n): "withholding votes until checkpoint \(n) is stable (consensus-log records were lost)"
        case let .votingResumed(n): "voting again: checkpoint \(n) is stable, past every slot the lost log records could cover"
        case let .viewChangeAbandoned(v, back, working):
            "abandoned the lone view change to \(v): \(working) replicas still work in \(back); following \(back) without voting until a view ≥ \(v) is installed"
        case let .epochEnds(a): "the epoch ends at \(a): nothing above it is proposed or voted on"
        }
    }
}
