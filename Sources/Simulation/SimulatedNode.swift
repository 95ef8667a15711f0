import Adversary
import LedgerCore
import LedgerCrypto
import PBFT

/// One node as the simulator holds it (`id`: its stable slot; its replica id in an epoch may differ, `replicaID`): the real `Replica` (absent while crashed), its
/// disk (consensus log and ledger, which survive crashes), its timers and clock offset, and —
/// for a Byzantine replica — its behaviour.
struct SimulatedNode {
    let id: ReplicaID
    /// `nil` for an honest replica.
    var behaviour: (any ByzantineBehaviour)?
    /// The running replica; `nil` while crashed. Always mutate it in place
    /// (`nodes[i].replica!.handle(…)`): a copy would retain every collection inside it.
    var replica: LedgerReplica? {
        didSet { isUp = replica != nil }
    }
    /// `true` while the replica runs (kept as a flag so checking it never copies the replica).
    private(set) var isUp = false
    /// The persisted consensus log.
    var disk: [LedgerLogRecord] = []
    /// The voting fence persisted beside the log after records were lost (`RecoveredState.votingFence`).
    var votingFence: SequenceNumber?
    /// The executed chain.
    var ledger: SimulatedLedger
    /// Which armed timer of each kind is live (a fired timer of another generation is stale).
    var timers = TimerGenerations()
    /// Bumped at every crash so events meant for an earlier life are ignored.
    var incarnation: UInt64 = 0
    /// This replica's clock offset from virtual time, ms.
    let clockOffsetMs: Int64
    /// `true` while a simulated state transfer is under way.
    var stateTransferPending = false
    /// Highest view this replica has been in (for counting view changes).
    var highestView: View = .zero
    /// Evidence items this replica reported.
    var evidenceCount = 0
    /// The epoch `replica` works in (`SimulationRun+Epochs.swift`).
    var epoch: UInt64 = 0
    /// Where that epoch started.
    var epochStart: EpochStart = .genesis
    /// The replicas of earlier epochs by epoch, kept to answer their laggards (no timers; lost at a crash).
    var retired: [UInt64: LedgerReplica] = [:]
    /// The replica id and key slot `replica` runs under (its place and key in its epoch's set, `MembershipPlan`).
    var replicaID: ReplicaID
    var keySlot: Int

    init(id: ReplicaID, behaviour: (any ByzantineBehaviour)?, ledger: SimulatedLedger, clockOffsetMs: Int64) {
        self.id = id
        self.behaviour = behaviour
        self.ledger = ledger
        self.clockOffsetMs = clockOffsetMs
        replicaID = id
        keySlot = id.index
    }

    var isByzantine: Bool { behaviour != nil }

    /// Appends `record` to the disk, dropping what it supersedes (`ConsensusLogPolicy`, the
    /// node's rule too).
    mutating func persist(_ record: LedgerLogRecord) {
        ConsensusLogPolicy.append(record, to: &disk)
    }
}
