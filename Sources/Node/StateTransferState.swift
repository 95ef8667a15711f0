import LedgerCore
import LedgerCrypto
import PBFT

/// Everything the driver knows about its state transfer, in one value it alone owns: where it is
/// going, the task taking it there, the block requests waiting for an answer, and the donors.
/// (`ConsensusDriver.transferRunning` mirrors `isRunning` for the peer workers, without an actor hop.)
struct StateTransferState {
    /// The stable checkpoint the transfer is heading for; `nil` when none is wanted.
    var target: StateTransferTarget?
    /// The transfer loop, while it runs.
    var task: Task<Void, Never>?
    /// Block requests sent and not yet answered or expired, by request id.
    var pendingFetches: [UInt64: PendingFetch] = [:]
    /// The id of the next block request.
    var nextRequestID: UInt64 = 1
    /// Whom to ask next, and who served an invalid range.
    var donors = TransferDonors()

    /// Cancels the loop and answers every waiting request with nothing.
    mutating func cancel() {
        task?.cancel()
        for (_, p) in pendingFetches { p.continuation.resume(returning: nil) }
        pendingFetches.removeAll()
    }
}

/// Counters of one transfer (from its start to reaching the target).
struct TransferProgress {
    var started = ContinuousClock.now
    var blocks = 0
    var transactions = 0
    /// Blocks authenticated by the hash chain from an anchor instead of their own certificate.
    var anchoredBlocks = 0
    /// Ed25519 signatures verified (checkpoint proofs and certificates of blocks above an anchor).
    var signaturesChecked = 0
    /// Hashes of fetched transactions our mempool held (the replica must drop them from its queue).
    var committedHashes: [Digest] = []
    /// The head when the first range was applied: the replica may hold log entries up to a window above it.
    var startHeight: Height?
    /// Certificate bytes of the fetched blocks within a window above `startHeight` (a validator's only), for the
    /// replica's equivocation cross-check (`Event.transferredCertificates`).
    var certificates: [[UInt8]] = []
}

/// A block range being fetched and verified.
struct PendingRange {
    var request: BlockRequest
    var donor: ReplicaID
    /// The highest height this range (and its retries) may ask for.
    var upTo: SequenceNumber
    /// The anchor the range was asked under (the target's hash), or `nil` past the target.
    var trusted: TransferAnchor?
    var task: Task<FetchOutcome, Never>
}

/// What fetching one range produced.
enum FetchOutcome: Sendable {
    /// No answer (timeout, peer unreachable, or no blocks there).
    case nothing
    /// The peer's blocks failed verification.
    case invalid(StateTransferFailure)
    /// Verified blocks, in height order from the requested start (the anchor is checked when executed).
    case blocks(VerifiedRange)
}

/// A continuation waiting for a peer's block response.
struct PendingFetch {
    var peer: ReplicaID
    var continuation: CheckedContinuation<BlockResponse?, Never>
}

