import Adversary
import LedgerCore
import LedgerCrypto
import PBFT

/// Everything that can happen in a run, as queued in the event queue.
enum SimulationEvent {
    /// A verified message arrives at `to`.
    case deliver(to: ReplicaID, from: ReplicaID, message: Verified<LedgerMessage>)
    /// A Byzantine replica's held-back emission leaves now.
    case emit(from: ReplicaID, incarnation: UInt64, emission: Emission)
    /// A replica's timer fires (ignored unless `generation` is still current).
    case timer(ReplicaID, TimerKind, generation: UInt64, incarnation: UInt64)
    /// A client may submit its next transaction.
    case clientTick(client: Int)
    /// A client re-sends its uncommitted transactions.
    case clientRetry(client: Int)
    /// A client's transaction reaches a replica's mempool.
    case requestArrives(ReplicaID, Transaction)
    /// The operator's validator-set change reaches a validator (`SimulationParameters.addsValidatorAfterBlock`).
    case changeArrives(ReplicaID)
    /// A replica crashes (volatile state lost, disk kept).
    case crash(ReplicaID)
    /// A replica restarts from its disk; `forgetLog` wipes the consensus log first (amnesia).
    case restart(ReplicaID, forgetLog: Bool)
    /// Partition `index` of the schedule starts.
    case partitionStart(index: Int)
    /// Partition `index` heals.
    case partitionEnd(index: Int)
    /// A simulated state transfer completes (blocks are fetched and verified now).
    case stateTransferDone(ReplicaID, incarnation: UInt64, target: StateTransferTarget)
    /// Periodic check for overdue transactions.
    case livenessProbe
    /// A replica's push (COMMITTED-BATCH or CHECKPOINT) reaches the full node.
    case followerDeliver(from: ReplicaID, message: LedgerMessage)
    /// The full node's timer fires (ignored unless `generation` is still current).
    case followerTimer(TimerKind, generation: UInt64)
    /// The full node's state transfer completes.
    case followerTransferDone(StateTransferTarget)
}
