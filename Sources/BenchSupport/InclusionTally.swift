/// What became of every pre-signed transaction: how its node answered, and how often it appears in the chain.
/// After a run, an accepted transaction must appear exactly once; anything else is counted, never hidden.
public struct InclusionTally: Sendable {
    /// How the node answered a transaction's `broadcast_tx_sync`.
    public enum Admission: UInt8, Sendable {
        /// Never sent (the run ended first, or its node was gone).
        case notSent
        /// Sent; no answer yet.
        case pending
        /// Admitted to the mempool.
        case accepted
        /// Refused with a JSON-RPC error (the reason is counted by the caller).
        case rejected
        /// Sent, but the connection failed or timed out before the answer: it may or may not have been admitted.
        case unknown
    }

    /// The totals after a run.
    public struct Summary: Equatable, Sendable {
        /// Transactions sent.
        public var sent = 0
        /// Admitted by their node.
        public var accepted = 0
        /// Refused by their node.
        public var rejected = 0
        /// Sent without a definite answer.
        public var unanswered = 0
        /// Distinct transactions of the run found in the chain.
        public var committed = 0
        /// Accepted but not in the chain.
        public var lost = 0
        /// Transactions found in the chain more than once.
        public var duplicated = 0
        /// Committed although their node refused them (a refusal that was not one).
        public var committedAfterRejection = 0
        /// Committed although their answer never came (expected when a node is killed mid-request).
        public var committedUnanswered = 0
    }

    private var admissions: [Admission]
    private var occurrences: [UInt8]

    /// A tally for `count` transactions, none sent yet.
    public init(count: Int) {
        admissions = Array(repeating: .notSent, count: count)
        occurrences = Array(repeating: 0, count: count)
    }

    /// Number of transactions tracked.
    public var count: Int { admissions.count }

    /// The answer recorded for transaction `k`.
    public func admission(_ k: Int) -> Admission { admissions[k] }

    /// Records the answer (or the sending) of transaction `k`.
    public mutating func record(_ admission: Admission, for k: Int) { admissions[k] = admission }

    /// Records that transaction `k` appeared in a block; returns whether this is its first appearance.
    @discardableResult
    public mutating func recordInclusion(of k: Int) -> Bool {
        let before = occurrences[k]
        if before < UInt8.max { occurrences[k] = before + 1 }
        return before == 0
    }

    /// How many times transaction `k` appeared in the chain (saturating at 255).
    public func inclusions(of k: Int) -> Int { Int(occurrences[k]) }

    /// The totals.
    public var summary: Summary {
        var s = Summary()
        for k in 0..<admissions.count {
            let a = admissions[k], n = occurrences[k]
            if a != .notSent { s.sent += 1 }
            if n > 0 { s.committed += 1 }
            if n > 1 { s.duplicated += 1 }
            switch a {
            case .accepted: s.accepted += 1; if n == 0 { s.lost += 1 }
            case .rejected: s.rejected += 1; if n > 0 { s.committedAfterRejection += 1 }
            case .pending, .unknown: s.unanswered += 1; if n > 0 { s.committedUnanswered += 1 }
            case .notSent: break
            }
        }
        return s
    }
}
