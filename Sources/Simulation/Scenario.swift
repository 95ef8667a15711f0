import Adversary
import LedgerCore

/// Everything that defines one simulated run; together with the git commit, it reproduces
/// the run exactly.
public struct Scenario: Hashable, Sendable {
    /// The seed of the run's only random generator.
    public var seed: UInt64
    /// Number of replicas `n` (any count in `SimulationLimits.replicaCountRange`).
    public var replicaCount: Int
    /// The Byzantine strategy, or `nil` for an all-honest run.
    public var strategy: ByzantineStrategy?
    /// How many replicas run `strategy` (at most `f` in a normal run; `QuorumRule.quorumIntersection`
    /// in the collusion self-test).
    public var byzantineCount: Int
    /// Network, partition, crash and drift faults.
    public var faults: FaultMix
    /// The run stops once every live honest replica executed this many batches.
    public var targetCommits: Int
    /// The run stops at this virtual time at the latest.
    public var timeLimitMs: UInt64
    /// `true` for the collusion self-test (`QuorumRule.quorumIntersection` Byzantine, f + 1 at
    /// n = 3f + 1: an equivocating primary and double-voters).
    public var isCollusionSelfTest: Bool
    /// Simulated clients, each with one transfer in flight: more clients, fuller batches (a few
    /// hundred fill the 64-transfer batches, so view changes happen with full batches prepared).
    public var clientCount: Int
    /// Damaged consensus logs: the first honest replica to crash finds records of its log
    /// unreadable at every restart (each lost with probability 1/3, drawn from the seed), and
    /// restarts behind the voting fence the node applies (`RecoveredState.votingFence`). It
    /// counts as one more fault: liveness is checked only while Byzantine replicas + 1 ≤ f.
    public var damagedLogs: Bool
    /// A full node follows the chain (`ChainFollower`): every replica pushes it the batches it commits and its
    /// CHECKPOINTs (a tenth of the pushes lost), it catches up by state transfer from honest replicas, and its
    /// executed chain is checked against the honest one (safety) and must trail it by at most the follower's
    /// bound (`SimulationLimits.fullNodeLagMs`). Its own random stream: the replicas' run is the same with or without it.
    public var fullNode: Bool = false

    /// A scenario with defaults for everything but the seed.
    public init(
        seed: UInt64, replicaCount: Int = 4, strategy: ByzantineStrategy? = nil, byzantineCount: Int? = nil,
        faults: FaultMix = .random, targetCommits: Int = SimulationLimits.defaultTargetCommits,
        timeLimitMs: UInt64 = SimulationLimits.defaultTimeLimitMs, isCollusionSelfTest: Bool = false,
        clientCount: Int = SimulationLimits.clientCount, damagedLogs: Bool = false
    ) {
        self.damagedLogs = damagedLogs
        self.seed = seed
        self.replicaCount = replicaCount
        self.strategy = strategy
        self.byzantineCount = byzantineCount ?? (strategy == nil ? 0 : 1)
        self.faults = faults
        self.targetCommits = targetCommits
        self.timeLimitMs = timeLimitMs
        self.isCollusionSelfTest = isCollusionSelfTest
        self.clientCount = clientCount
    }

    /// The quorum sizes for `replicaCount` (`problem` refuses a count outside the supported range).
    public var quorumRule: QuorumRule { QuorumRule(replicaCount) ?? .single }

    /// The number of faults tolerated: `(n - 1) / 3`.
    public var f: Int { quorumRule.f }

    /// `true` when the run stays within PBFT's assumptions (≤ f Byzantine), so every
    /// checker, liveness included, applies.
    public var isWithinFaultBound: Bool { byzantineCount <= f }

    /// Why the scenario cannot run, or `nil` when it can.
    public var problem: String? {
        if !SimulationLimits.replicaCountRange.contains(replicaCount) {
            return "--replicas must be in \(SimulationLimits.replicaCountRange), got \(replicaCount)"
        }
        if byzantineCount < 0 || byzantineCount >= replicaCount {
            return "--byzantine must be in 0..<\(replicaCount), got \(byzantineCount)"
        }
        if strategy == nil && byzantineCount > 0 && !isCollusionSelfTest {
            return "--byzantine \(byzantineCount) needs a --strategy"
        }
        if targetCommits < 1 { return "--commits must be at least 1, got \(targetCommits)" }
        if !SimulationLimits.clientCountRange.contains(clientCount) {
            return "--clients must be in \(SimulationLimits.clientCountRange), got \(clientCount)"
        }
        return nil
    }

    /// The exact command that replays this run.
    public var replayCommand: String {
        if isCollusionSelfTest {
            return "swift run -c release ledger-sim --self-test --seed \(seed) --replicas \(replicaCount)"
        }
        var parts = [
            "swift run -c release ledger-sim --seed \(seed)", "--strategy \(strategy?.rawValue ?? "none")",
            "--replicas \(replicaCount)", "--byzantine \(byzantineCount)", "--faults \(faults.rawValue)",
            "--commits \(targetCommits)",
        ]
        if timeLimitMs != SimulationLimits.defaultTimeLimitMs { parts.append("--time-limit-ms \(timeLimitMs)") }
        if clientCount != SimulationLimits.clientCount { parts.append("--clients \(clientCount)") }
        if damagedLogs { parts.append("--damaged-logs") }
        if fullNode { parts.append("--full-node") }
        return parts.joined(separator: " ")
    }

    /// A short label for tables: the strategy name or `none`.
    public var strategyName: String {
        isCollusionSelfTest ? "collusion" : (strategy?.rawValue ?? "none")
    }
}
