import LedgerCore
import LedgerCrypto

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
    /// The largest number of batches a consensus-log record of a VIEW-CHANGE or NEW-VIEW keeps.
    public static var maxAttachedBatches: Int { Int(maxWindow) }
    /// The most batch digests one BATCH-FETCH asks for. VIEW-CHANGE and NEW-VIEW carry digests
    /// only; a replica fetches the batches it lacks, each in its own message, so no message
    /// carries more than one batch whatever the window and the batch size.
    public static let maxFetchDigests = 64
    /// The most committed batches a replica sends a lagging peer in answer to one STATUS.
    public static let maxCatchUpBatchesPerStatus = 16
    /// The largest number of pending requests a replica queues (FIFO, deduplicated by hash).
    public static let defaultMaxPendingRequests = 100_000
    /// How many recently executed request hashes are remembered to drop late duplicates.
    public static let recentlyExecutedRequestMemory = 100_000
    /// Batches' worth of unproposed requests, from the front of the queue, among which the primary
    /// picks the next batch round-robin across lanes (senders): enough that one busy sender at the
    /// front cannot fill a batch while others wait behind it, few enough that cutting a batch costs
    /// O(batch), not O(pending).
    public static let fairBatchWindowBatches = 4
    /// The longest view-change timeout after doubling, in milliseconds.
    public static let defaultMaxViewChangeTimeoutMs: UInt64 = 120_000
    /// The most equivocation evidence items a replica reports (one per offending (view, seq, phase)).
    public static let maxEvidenceReports = 10_000

    // Pace monitoring (Aardvark-style; see `Replica+Pace.swift`). The defaults of
    // `ReplicaConfiguration` derive the pace bounds from the view-change timeout `T` and the
    // batch delay, so they follow the genesis consensus parameters.

    /// Default ceiling of the proposal-latency bound, in thousandths of `T`: what a backup
    /// tolerates with no pace history (the first view). Below the 900 ‰ a slow primary that only
    /// dodges the view-change timer uses, with room for timer and network jitter.
    public static let defaultProposalLatencyCeilingPermille: UInt64 = 750
    /// Default floor of the proposal-latency bound, in thousandths of `T`: however fast earlier
    /// views were, a backup never suspects a primary sooner than this (one stall of an honest,
    /// CPU-starved primary — an fsync, a scheduling gap — must not cost a view).
    public static let defaultProposalLatencyFloorPermille: UInt64 = 600
    /// Default grace at the start of a view, in thousandths of `T`: requests already pending when
    /// a view starts wait this much longer (the new primary re-proposes the O set first).
    public static let defaultViewStartGracePermille: UInt64 = 200
    /// Default slack: the bound is `batchDelay + slack × expected`, where `expected` is the worst
    /// proposal latency of the remembered earlier views.
    public static let defaultProposalLatencySlack: UInt64 = 4
    /// Default number of earlier views whose proposal latency a backup remembers.
    public static let defaultPaceHistoryViews = 4
    /// The most earlier views a configuration may ask a backup to remember.
    public static let maxPaceHistoryViews = 64
    /// The most slack a configuration may ask for.
    public static let maxProposalLatencySlack: UInt64 = 1_000
    /// Default pipeline depth for batches that are not full. Under load the next batch gathers
    /// what arrives while these commit. Measured with `scripts/bench --partial-batch-depth`:
    /// 1–2 give the biggest batches (and the highest closed-loop peak), 3–4 the same peak within
    /// noise and lower latency at mid load while votes queued behind gossip in one per-peer
    /// queue; unlimited (the old rule) gives many small batches and the lowest peak. Once votes
    /// had their own lane (commits no longer slowed by gossip), depth 4 kept ~30 small blocks a
    /// second in flight at the peak and depth 1 was best both in the closed loop and at 4,800 tx/s
    /// open loop (docs/benchmarks.md).
    public static let defaultPartialBatchDepth = 1
    /// The most uncommitted partial batches a configuration may allow before holding.
    public static let maxPartialBatchDepth = 64
    /// The depth rule applies only once the primary's uncommitted proposals hold at least
    /// `maxBatchTxs / lightPipelineShareOfBatch` requests (125 with 1,000-transaction batches): below that the pipeline
    /// is light, a request goes out at once, and latency at light load is the message delays alone, whatever the
    /// links' delay (issue 30).
    public static let lightPipelineShareOfBatch = 8
    /// A backup relays a request it holds unordered to the primary once it has waited the pace
    /// check's floor (or, with the check off, the view-change timeout) divided by this: half way
    /// to the earliest moment it could suspect the primary, and above an honest primary's longest
    /// hold (`defaultBatchHoldFloorDivisor`), so an honest primary that has the request is rarely
    /// sent it again.
    public static let requestRelayDelayDivisor: UInt64 = 2
    /// Once a backup had to relay a request in a view (it waited the whole relay delay unordered:
    /// something keeps requests from the primary), it relays the rest of that view's held requests
    /// after this many batch delays instead: about what an honest primary with an idle or freed
    /// pipeline takes to order a request it has (decision 0006).
    public static let promptRelayDelayBatchDelays: UInt64 = 2
    /// A replica answers each peer's STATUS, and its VIEW-CHANGE for a view already installed,
    /// at most this many times per retransmission interval. An honest peer sends one of each per
    /// interval; the rest is room for network jitter and duplication (with two, the simulator's
    /// hostile networks sometimes brought consecutive STATUS messages closer than half an
    /// interval, and a lagging replica lost an answer and stalled a view), and a peer repeating
    /// them (or replaying them) gets no more.
    public static let repliesPerPeerPerRetransmitInterval: UInt64 = 4
    /// The default longest hold is the pace check's floor divided by this (but at least the batch
    /// delay): a quarter of the floor keeps an honest primary well inside the backups' bound.
    public static let defaultBatchHoldFloorDivisor: UInt64 = 4
}

extension PBFTLimits {
    /// The largest NEW-VIEW an honest primary of `replicaCount` validators can sign with a window
    /// of `window`, encoded, in bytes: a VIEW-CHANGE from every validator, each with a checkpoint
    /// proof signed by all of them and a certificate for every sequence number of the window
    /// (a pre-prepare and a prepare from every backup), and a pre-prepare per sequence number.
    /// It grows as `window × replicaCount²`; the transport's frame limit must hold it, or a view
    /// change could become impossible. Counts are clamped to `maxReplicaCount` and `maxWindow`
    /// (what the core accepts), so the arithmetic cannot overflow.
    public static func largestNewViewBytes(replicaCount: Int, window: UInt64) -> Int {
        let n = min(max(1, replicaCount), maxReplicaCount)
        let l = Int(min(window, maxWindow))
        let signedVote = 8 + 48 + 2 + 64      // epoch, PRE-PREPARE / PREPARE body, signer, signature
        let signedCheckpoint = 8 + 40 + 2 + 64
        let proof = 8 + 32 + 2 + n * signedCheckpoint
        let certificate = signedVote + 2 + (n - 1) * signedVote
        let signedViewChange = 8 + 8 + proof + 2 + l * certificate + 2 + 64
        return 1 + 8 + 8 + 2 + n * signedViewChange + 2 + l * signedVote + 2 + 64
    }

    /// The largest window whose worst-case NEW-VIEW (`largestNewViewBytes`) fits in `frameBytes`
    /// for `replicaCount` validators (0 if none does).
    public static func largestWindow(replicaCount: Int, fittingIn frameBytes: Int) -> UInt64 {
        var low: UInt64 = 0, high = maxWindow
        while low < high {
            let mid = (low + high + 1) / 2
            if largestNewViewBytes(replicaCount: replicaCount, window: mid) <= frameBytes { low = mid } else { high = mid - 1 }
        }
        return low
    }
}
