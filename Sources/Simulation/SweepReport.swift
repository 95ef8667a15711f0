import Adversary

/// Aggregates many runs into the sweep table (strategy × runs, violations, means).
public struct SweepReport: Sendable {
    /// One row of the table.
    public struct Row: Sendable {
        /// Strategy name (`none` for honest runs).
        public var strategy: String
        /// Runs with this strategy.
        public var runs = 0
        /// Runs with at least one violation.
        public var violatingRuns = 0
        /// Sum of commits (for the mean).
        public var totalCommits = 0
        /// Sum of view changes (for the mean).
        public var totalViewChanges = 0
        /// Sum of evidence items (for the mean).
        public var totalEvidence = 0
        /// Sum of lone view changes abandoned by honest replicas.
        public var totalAbandoned = 0
        /// Sum of transactions committed and of virtual run time (for the throughput).
        public var totalTransactions = 0
        public var totalVirtualMs: UInt64 = 0

        /// Mean committed batches per run.
        public var meanCommits: Double { runs == 0 ? 0 : Double(totalCommits) / Double(runs) }
        /// Mean view changes per run.
        public var meanViewChanges: Double { runs == 0 ? 0 : Double(totalViewChanges) / Double(runs) }
        /// Mean evidence items per run.
        public var meanEvidence: Double { runs == 0 ? 0 : Double(totalEvidence) / Double(runs) }
        /// Transactions committed per virtual second over all runs of the row.
        public var transactionsPerVirtualSecond: Double {
            totalVirtualMs == 0 ? 0 : Double(totalTransactions) * 1_000 / Double(totalVirtualMs)
        }
    }

    /// Rows in first-seen order of strategy.
    public private(set) var rows: [Row] = []
    /// Every failing run, in seed order.
    public private(set) var failures: [RunResult] = []
    /// Total runs.
    public private(set) var runCount = 0
    /// Total commits over all runs.
    public private(set) var totalCommits = 0

    /// An empty report.
    public init() {}

    /// Adds one run.
    public mutating func add(_ result: RunResult) {
        let name = result.scenario.strategyName
        let index: Int
        if let i = rows.firstIndex(where: { $0.strategy == name }) {
            index = i
        } else {
            rows.append(Row(strategy: name))
            index = rows.count - 1
        }
        rows[index].runs += 1
        rows[index].totalCommits += result.commits
        rows[index].totalViewChanges += result.viewChanges
        rows[index].totalEvidence += result.evidenceCount
        rows[index].totalAbandoned += result.abandonedViewChanges
        rows[index].totalTransactions += result.transactionsCommitted
        rows[index].totalVirtualMs += result.endTime.milliseconds
        runCount += 1
        totalCommits += result.commits
        if !result.passed {
            rows[index].violatingRuns += 1
            failures.append(result)
        }
    }

    /// The table as text lines: honest runs first, then the strategies in their declared order.
    public var table: [String] {
        let order = ["none"] + ByzantineStrategy.names + ["collusion"]
        let rows = self.rows.sorted { (order.firstIndex(of: $0.strategy) ?? order.count) < (order.firstIndex(of: $1.strategy) ?? order.count) }
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        func fixed(_ x: Double) -> String {
            let scaled = Int((x * 10).rounded())
            return "\(scaled / 10).\(abs(scaled % 10))"
        }
        var lines = [pad("strategy", 20) + lpad("runs", 7) + lpad("violations", 12) + lpad("mean commits", 14)
            + lpad("mean view chg", 15) + lpad("lone abandoned", 16) + lpad("mean evidence", 15) + lpad("tx/virtual s", 14)]
        for r in rows {
            lines.append(pad(r.strategy, 20) + lpad("\(r.runs)", 7) + lpad("\(r.violatingRuns)", 12)
                + lpad(fixed(r.meanCommits), 14) + lpad(fixed(r.meanViewChanges), 15) + lpad("\(r.totalAbandoned)", 16)
                + lpad(fixed(r.meanEvidence), 15)
                + lpad(fixed(r.transactionsPerVirtualSecond), 14))
        }
        return lines
    }
}
