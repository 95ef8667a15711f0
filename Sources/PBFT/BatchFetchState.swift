import LedgerCore
import LedgerCrypto

/// The batches a view change fetches and serves, one owner: `Replica+BatchFetch.swift`.
struct BatchFetchState<B: ConsensusBatch>: Sendable {
    /// Batches this replica asked for to finish a view change, by digest (bounded).
    var wanted: [Digest: WantedBatch] = [:]
    /// Batches that arrived for wanted digests; emptied when a view is installed.
    var fetched: [Digest: B] = [:]
    /// When each batch was last sent to each peer in answer to a BATCH-FETCH (entries older than
    /// a retransmission interval are dropped at the peer's next fetch).
    var servedAtMs: [ReplicaID: [Digest: UInt64]] = [:]
}

/// A batch a replica needs for a view change and who should hold it.
struct WantedBatch: Hashable, Sendable {
    /// Replicas that should hold it, in the order they are asked (one per ask, round robin).
    var sources: [ReplicaID]
    /// How many times it was asked for.
    var asked = 0
}

extension BatchFetchState {
    /// The batch-fetch invariants: bounded, never asking for the null batch or ourselves, every
    /// wanted batch has a source and was asked for, and a batch is wanted or fetched, not both.
    func checkInvariants(maxWanted: Int, me: ReplicaID, _ report: inout InvariantReport) {
        report.expect(wanted.count <= maxWanted, "fetch.bound", "\(wanted.count) batches wanted, bound \(maxWanted)")
        for (digest, w) in wanted {
            report.expect(digest != B.null.digest, "fetch.null", "the null batch is wanted")
            report.expect(!w.sources.isEmpty && !w.sources.contains(me) && w.asked >= 1, "fetch.sources",
                          "batch \(digest) wanted from \(w.sources) (we are \(me)), asked \(w.asked) times")
            report.expect(fetched[digest] == nil, "fetch.disjoint", "batch \(digest) is both wanted and fetched")
        }
        for (digest, batch) in fetched {
            report.expect(batch.digest == digest, "fetch.digest", "batch \(batch.digest) is kept as \(digest)")
        }
    }
}
