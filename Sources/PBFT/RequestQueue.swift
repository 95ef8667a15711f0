import LedgerCore
import LedgerCrypto

/// The replica's pending client requests, one owner: a FIFO with the primary's propose cursor and
/// a backup's relay cursor into it, what is in flight (ordered by a PRE-PREPARE of the view), and
/// a bounded memory of requests already executed (`Replica+Requests.swift`, `Replica+Relay.swift`).
struct RequestQueue<B: ConsensusBatch>: Sendable {
    /// The requests waiting to be ordered, by digest (bounded by `maxPendingRequests`).
    var pending: [Digest: B.Request] = [:]
    /// When this replica learned of each pending request (`now` of its `Event.requests`).
    var arrivedAtMs: [Digest: UInt64] = [:]
    /// The FIFO of digests (gone ones are skipped; compacted when half of it is gone).
    var order: [Digest] = []
    /// Index into `order` before which every request is gone.
    var head = 0
    /// Index into `order` before which every request is in flight or gone (primary only).
    var proposeCursor = 0
    /// Index into `order` before which every request was relayed in this view, ordered,
    /// or is gone: each request is relayed at most once per view.
    var relayCursor = 0
    /// Requests a PRE-PREPARE of the current view ordered (cleared at each view change).
    var inFlight: Set<Digest> = []
    /// The largest `encodedByteCount` of any request queued so far (bounds a batch's bytes by count).
    var largestRequestBytes = 0
    /// Requests executed recently (bounded by `PBFTLimits.recentlyExecutedRequestMemory`).
    var recentlyExecuted: Set<Digest> = []
    /// `recentlyExecuted` in the order they were added; entries before `recentlyExecutedHead` were forgotten.
    var recentlyExecutedOrder: [Digest] = []
    var recentlyExecutedHead = 0
}

extension RequestQueue {
    /// The queue's invariants: its bounds, the cursors' order, and the FIFO and the memory of
    /// executed requests accounting for every digest they hold.
    func checkInvariants(maxPending: Int, maxBatchBytes: Int, _ report: inout InvariantReport) {
        report.expect(pending.count <= maxPending, "queue.bound",
                      "\(pending.count) pending requests, more than maxPendingRequests \(maxPending)")
        report.expect(arrivedAtMs.count == pending.count, "queue.arrivals",
                      "\(arrivedAtMs.count) arrival times for \(pending.count) pending requests")
        report.expect(0 <= head && head <= proposeCursor && proposeCursor <= order.count, "queue.proposeCursor",
                      "head \(head), propose cursor \(proposeCursor), FIFO length \(order.count)")
        report.expect(head <= relayCursor && relayCursor <= order.count, "queue.relayCursor",
                      "head \(head), relay cursor \(relayCursor), FIFO length \(order.count)")
        // Every pending request is in the FIFO at or after its head.
        report.expect(pending.count <= order.count - head, "queue.fifo",
                      "\(pending.count) pending requests, \(order.count - head) FIFO places from the head \(head)")
        report.expect(largestRequestBytes + B.headerByteCount <= maxBatchBytes, "queue.largestRequest",
                      "largest queued request \(largestRequestBytes) bytes does not fit a batch of \(maxBatchBytes)")
        report.expect(recentlyExecuted.count <= PBFTLimits.recentlyExecutedRequestMemory, "queue.executedBound",
                      "\(recentlyExecuted.count) executed requests remembered, bound \(PBFTLimits.recentlyExecutedRequestMemory)")
        report.expect(0 <= recentlyExecutedHead && recentlyExecutedHead <= recentlyExecutedOrder.count
                      && recentlyExecuted.count == recentlyExecutedOrder.count - recentlyExecutedHead, "queue.executedOrder",
                      "\(recentlyExecuted.count) executed requests remembered, order \(recentlyExecutedOrder.count) from head \(recentlyExecutedHead)")
    }
}
