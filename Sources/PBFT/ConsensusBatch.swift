import LedgerCore
import LedgerCrypto

/// What the consensus core needs from the things it orders.
///
/// PBFT orders batches of client requests without knowing what a transaction is. The ledger's
/// `Batch` and `Transaction` conform (see `LedgerBatch.swift`); tests and the simulator can use
/// cheaper types.

/// A client request (a transaction) as the core sees it: an identity, a size, and its place in
/// a lane.
public protocol ConsensusRequest: Hashable, Sendable {
    /// Whose requests these are, for fair batching (the ledger: the sender's key).
    associatedtype Lane: Hashable & Sendable
    /// The request's identity; pending requests are deduplicated by it.
    var requestDigest: Digest { get }
    /// The request's size inside an encoded batch, in bytes (for `maxBatchBytes`).
    var encodedByteCount: Int { get }
    /// The lane the request belongs to. The primary fills a batch round-robin across lanes, so
    /// one busy lane cannot starve the others.
    var lane: Lane { get }
    /// The request's place in its lane (the ledger: the nonce). The primary proposes a lane's
    /// requests in this order and never puts two with the same place into one batch.
    var laneOrder: UInt64 { get }
}

/// A batch of requests: what a PRE-PREPARE proposes at one sequence number.
public protocol ConsensusBatch: Hashable, Sendable {
    /// The request type the batch holds.
    associatedtype Request: ConsensusRequest

    /// The hash of the canonical batch encoding; what PREPARE and COMMIT vote for.
    var digest: Digest { get }
    /// The view the batch was cut in (inside the digest); its primary is the block's proposer.
    var view: View { get }
    /// The primary's timestamp, in milliseconds since the Unix epoch.
    var timestampMilliseconds: UInt64 { get }
    /// `true` for the null batch a NEW-VIEW uses to fill a sequence gap.
    var isNull: Bool { get }
    /// The requests, in order.
    var requests: [Request] { get }
    /// How many requests the batch holds (what `requests.count` says, without building the array).
    var requestCount: Int { get }

    /// Bytes an encoded batch adds on top of its requests' `encodedByteCount`s; the primary keeps
    /// header + requests within `maxBatchBytes`.
    static var headerByteCount: Int { get }
    /// The null batch (no requests); every replica builds the same one.
    static var null: Self { get }
    /// A new batch cut by the primary of `view`.
    static func make(view: View, timestampMilliseconds: UInt64, requests: [Request]) -> Self
    /// The canonical encoding (what `digest` hashes).
    func encoded() -> [UInt8]
    /// Decodes a canonical encoding; `nil` for malformed input (never traps).
    static func decode(_ bytes: ArraySlice<UInt8>) -> Self?
}

extension ConsensusBatch {
    /// No header by default.
    public static var headerByteCount: Int { 0 }
    /// `requests.count` by default.
    public var requestCount: Int { requests.count }
}

/// The outcome of the ledger's validity check on a proposed batch.
public enum BatchCheck: Hashable, Sendable {
    /// The batch may be prepared.
    case valid
    /// The batch must not be prepared; the reason says why (for logs and counters).
    case invalid(String)
}
