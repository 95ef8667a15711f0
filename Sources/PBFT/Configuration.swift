/// The consensus parameters of one replica (from genesis plus the replica's own id).
public struct ReplicaConfiguration: Hashable, Sendable {
    /// Number of validators `n` (= 3f + 1 for the best fault tolerance).
    public var replicaCount: Int
    /// This replica's id, `0..<n`.
    public var replicaID: ReplicaID
    /// The chain id every signature covers.
    public var chainID: String
    /// Checkpoint interval `K`: a checkpoint after every seq divisible by it.
    public var checkpointInterval: UInt64
    /// Watermark window `L`: the high watermark is `low + L`. A multiple of `K`.
    public var window: UInt64
    /// The most transactions the primary puts in one batch.
    public var maxBatchTxs: Int
    /// The largest encoded batch the primary cuts (header + the requests' `encodedByteCount`s);
    /// set it to the ledger's batch size limit.
    public var maxBatchBytes: Int
    /// How long the primary waits with at least one pending request before cutting a smaller batch, ms.
    public var batchDelayMs: UInt64
    /// How long a backup waits for pending work to execute before it starts a view change, ms.
    public var viewChangeTimeoutMs: UInt64
    /// The longest view-change timeout after doubling, ms.
    public var maxViewChangeTimeoutMs: UInt64
    /// How far ahead of a backup's clock a batch timestamp may be, ms.
    public var maxClockDriftMs: UInt64
    /// The retransmission / status period, ms.
    public var retransmitIntervalMs: UInt64
    /// The most requests queued while waiting to be batched (FIFO, deduplicated by hash).
    public var maxPendingRequests: Int

    /// A configuration; call `validate()` (the replica's init does).
    public init(
        replicaCount: Int, replicaID: ReplicaID, chainID: String,
        checkpointInterval: UInt64 = 16, window: UInt64 = 64,
        maxBatchTxs: Int = 500, maxBatchBytes: Int = 1_000_000, batchDelayMs: UInt64 = 50,
        viewChangeTimeoutMs: UInt64 = 2_000, maxViewChangeTimeoutMs: UInt64 = PBFTLimits.defaultMaxViewChangeTimeoutMs,
        maxClockDriftMs: UInt64 = 5_000, retransmitIntervalMs: UInt64 = 500,
        maxPendingRequests: Int = PBFTLimits.defaultMaxPendingRequests
    ) {
        self.replicaCount = replicaCount; self.replicaID = replicaID; self.chainID = chainID
        self.checkpointInterval = checkpointInterval; self.window = window
        self.maxBatchTxs = maxBatchTxs; self.maxBatchBytes = maxBatchBytes; self.batchDelayMs = batchDelayMs
        self.viewChangeTimeoutMs = viewChangeTimeoutMs; self.maxViewChangeTimeoutMs = maxViewChangeTimeoutMs
        self.maxClockDriftMs = maxClockDriftMs; self.retransmitIntervalMs = retransmitIntervalMs
        self.maxPendingRequests = maxPendingRequests
    }

    /// The number of faults tolerated, `f = (n - 1) / 3`.
    public var f: Int { (replicaCount - 1) / 3 }
    /// The quorum `2f + 1`.
    public var quorum: Int { 2 * f + 1 }
    /// The weak quorum `f + 1` (at least one honest replica).
    public var weakQuorum: Int { f + 1 }

    /// Throws `invalidConfiguration` naming the first unusable field.
    public func validate() throws(PBFTError) {
        guard replicaCount >= 1, replicaCount <= PBFTLimits.maxReplicaCount else {
            throw .invalidConfiguration("replicaCount is \(replicaCount); it must be 1...\(PBFTLimits.maxReplicaCount)")
        }
        guard replicaID.index >= 0, replicaID.index < replicaCount else {
            throw .invalidConfiguration("replicaID \(replicaID) is outside 0..<\(replicaCount)")
        }
        let chainBytes = chainID.utf8.count
        guard chainBytes >= 1, chainBytes <= PBFTLimits.maxChainIDBytes else {
            throw .invalidConfiguration("chainID is \(chainBytes) bytes; it must be 1...\(PBFTLimits.maxChainIDBytes)")
        }
        guard checkpointInterval >= 1 else { throw .invalidConfiguration("checkpointInterval must be at least 1") }
        guard window >= checkpointInterval, window % checkpointInterval == 0, window <= PBFTLimits.maxWindow else {
            throw .invalidConfiguration(
                "window \(window) must be a multiple of checkpointInterval \(checkpointInterval) and at most \(PBFTLimits.maxWindow)")
        }
        guard maxBatchTxs >= 1 else { throw .invalidConfiguration("maxBatchTxs must be at least 1") }
        guard maxBatchBytes >= 1, maxBatchBytes <= PBFTLimits.maxBatchEncodedBytes else {
            throw .invalidConfiguration("maxBatchBytes \(maxBatchBytes) must be 1...\(PBFTLimits.maxBatchEncodedBytes)")
        }
        guard viewChangeTimeoutMs >= 1, maxViewChangeTimeoutMs >= viewChangeTimeoutMs else {
            throw .invalidConfiguration("viewChangeTimeoutMs must be at least 1 and at most maxViewChangeTimeoutMs")
        }
        guard retransmitIntervalMs >= 1 else { throw .invalidConfiguration("retransmitIntervalMs must be at least 1") }
        guard maxPendingRequests >= 1 else { throw .invalidConfiguration("maxPendingRequests must be at least 1") }
    }
}
