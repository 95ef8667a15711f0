/// Every bound the simulator uses, in one place (TigerBeetle style: units at the end of names).
public enum SimulationLimits {
    /// Blocks between two submissions of the operator's validator-set change while none has committed it.
    public static let changeResubmitBlocks: UInt64 = 10
    /// The hostile network loses at most this fraction of messages before GST.
    public static let maxLossRate = 0.30
    /// GST is drawn from this range (milliseconds of virtual time) when faults are on.
    public static let gstRangeMs: ClosedRange<UInt64> = 1_000...6_000
    /// At most this many crash/restart periods per run.
    public static let maxCrashes = 3
    /// A crashed replica stays down for this long (milliseconds).
    public static let crashDowntimeMs: ClosedRange<UInt64> = 100...2_000
    /// At most this many partitions per run, all healed by GST.
    public static let maxPartitions = 3
    /// Replica counts the simulator accepts (any n from 4, up to ReplicaSet.capacity; `QuorumRule` sizes the quorums).
    public static let replicaCountRange: ClosedRange<Int> = 4...64
    /// Default number of simulated clients (`Scenario.clientCount`).
    public static let clientCount = 4
    /// The most simulated clients a scenario may ask for.
    public static let clientCountRange: ClosedRange<Int> = 2...2_000
    /// Milliseconds between a client's submissions (drawn uniformly).
    public static let clientIntervalMs: ClosedRange<UInt64> = 5...40
    /// A client keeps at most this many of its own transactions uncommitted (1 keeps nonces in order, so every transfer executes).
    public static let clientMaxInFlight = 1
    /// Default target: the run stops once every honest replica executed this many batches.
    public static let defaultTargetCommits = 200
    /// Default virtual-time limit of one run (milliseconds).
    public static let defaultTimeLimitMs: UInt64 = 600_000
    /// A run stops (as a failure of the simulator, not of PBFT) after this many events.
    public static let maxEventsPerRun = 50_000_000
    /// Per-replica bound on the simulator's copy of a replica's persisted records.
    public static let maxDiskRecords = 1_000_000
    /// The full node's probe interval, ms (the node's `NodeLimits.fullNodeProbeIntervalMs`).
    public static let fullNodeProbeIntervalMs: UInt64 = 1_000
    /// How far behind the honest replicas a full node may be at the end of a run, ms: a probe interval and a
    /// few state-transfer round trips of the slowest network profile.
    public static let fullNodeLagMs: UInt64 = 5_000
}
