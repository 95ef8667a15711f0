/// Every bound the consensus core enforces, in one place.
///
/// Counts that come from a peer (certificate sizes, set sizes, batch bytes) are checked
/// against these before anything is allocated for them.
public enum PBFTLimits {
    /// The largest validator set the core accepts (`n`); keeps certificates and quorums small.
    public static let maxReplicaCount = 128
    /// The longest chain id in bytes.
    public static let maxChainIDBytes = 64
    /// The largest watermark window `L` (sequence numbers in flight above the low watermark).
    public static let maxWindow: UInt64 = 1_024
    /// The largest encoded batch the wire format carries, in bytes.
    public static let maxBatchEncodedBytes = 8 * 1_024 * 1_024
    /// The largest number of batches attached to one VIEW-CHANGE or NEW-VIEW.
    public static var maxAttachedBatches: Int { Int(maxWindow) }
    /// The most committed batches a replica sends a lagging peer in answer to one STATUS.
    public static let maxCatchUpBatchesPerStatus = 16
    /// The largest number of pending requests a replica queues (FIFO, deduplicated by hash).
    public static let defaultMaxPendingRequests = 100_000
    /// How many recently executed request hashes are remembered to drop late duplicates.
    public static let recentlyExecutedRequestMemory = 100_000
    /// The longest view-change timeout after doubling, in milliseconds.
    public static let defaultMaxViewChangeTimeoutMs: UInt64 = 120_000
    /// The most equivocation evidence items a replica reports (one per offending (view, seq, phase)).
    public static let maxEvidenceReports = 10_000
}
