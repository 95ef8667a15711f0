import LedgerCore
import PBFT

/// The full node of a run (`Scenario.fullNode`): the real `ChainFollower` core (one per epoch), its executed
/// chain, its timers and its own random stream (delays and losses of the pushes it receives),
/// so the replicas' run is the same with or without it.
struct SimulatedFollower {
    /// The consensus core a full node runs (a fresh one per epoch, for that epoch's set).
    var core: ChainFollower<Batch>
    /// The epoch its core follows: its own chain's (`ledger.membership.epoch`) since the core started.
    var epoch: UInt64 = 0
    /// The keys of that epoch's set, as its own chain names them (`ledger.membership.validators`).
    var verifier: LedgerMessageVerifier
    /// Its executed chain.
    var ledger: SimulatedLedger
    /// Which armed timer of each kind is live.
    var timers = TimerGenerations()
    /// A simulated state transfer is under way.
    var transferPending = false
    /// Delays and losses of the pushes to it.
    var random: SimulationRandom
    /// Pushes refused by verification (forged by Byzantine replicas).
    var refused = 0
    /// Batches it executed (by push or transfer) and state transfers it made.
    var executed = 0
    var transfers = 0
    /// Epochs it switched into.
    var epochSwitches = 0
}

/// How a self-test breaks the full node to show that its checks can fail.
enum FollowerSabotage {
    /// It hears no push and fetches nothing: it falls behind (the lag check).
    case deaf
    /// It executes every block with another proposer, so its block hashes differ (the safety check).
    case forgedChain
    /// It keeps epoch 0's keys (under each later epoch's signing context) after its chain changed the set: pushes
    /// signed by a re-keyed or renumbered validator do not verify.
    case keepsFirstSet
}
