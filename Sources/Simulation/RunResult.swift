import LedgerCrypto

/// What one simulated run produced: the checkers' verdicts and the numbers the sweep table shows.
public struct RunResult: Sendable {
    /// Why the run stopped.
    public enum StopReason: String, Sendable {
        /// Every live honest replica executed the target number of batches.
        case reachedTarget = "target"
        /// The virtual-time limit passed first.
        case timeLimit = "time-limit"
        /// The event budget ran out (a livelock in the simulated system, or a simulator bug).
        case eventBudget = "event-budget"
        /// The event queue emptied (nothing left to happen).
        case quiescent
        /// A checker reported a violation (runs stop at the first one).
        case violation
    }

    /// The run's definition (replays it).
    public var scenario: Scenario
    /// Every property violation the checkers found (empty = pass).
    public var violations: [Violation]
    /// Batches executed by the slowest live honest replica at the end.
    public var commits: Int
    /// Distinct views that honest replicas entered after view 0.
    public var viewChanges: Int
    /// Lone view changes honest replicas abandoned for the view the others still worked in.
    public var abandonedViewChanges = 0
    /// Of `viewChanges`, the views whose first view change an honest replica started at or after GST (when the
    /// network stops losing messages and delays are bounded): what the network's faults alone cannot explain.
    public var viewChangesAfterGST = 0
    /// The run's GST (from its fault schedule; zero for a calm network).
    public var gst: VirtualTime = .zero
    /// The block that committed the operator's validator-set change and epoch 0's last block, or `nil`
    /// (no change in the run, or it never committed).
    public var validatorSetChange: (committedAt: UInt64, lastOfEpoch: UInt64)?
    /// How many validators completed epoch 0 and started epoch 1.
    public var epochSwitches = 0
    /// Every change the ledger accepted, in order: the block that committed it and the last block of the epoch it ended.
    public var validatorSetChanges: [(committedAt: UInt64, lastOfEpoch: UInt64)] = []
    /// The epoch each node (genesis validators, then joiners) ended in.
    public var nodeEpochs: [UInt64] = []
    /// The nodes of the last epoch's set (the epoch after the last accepted change), in replica-id order.
    public var lastEpochMembers: [Int] = []
    /// The honest nodes.
    public var honestNodes: [Int] = []
    /// The epoch the full node's own chain reached (`Scenario.fullNode`), or `nil` without one.
    public var fullNodeEpoch: UInt64?
    /// The hash of the highest block all honest replicas share (the determinism fingerprint).
    public var ledgerHash: Digest
    /// The height `ledgerHash` belongs to.
    public var ledgerHeight: UInt64
    /// Virtual time when the run stopped.
    public var endTime: VirtualTime
    /// Why it stopped.
    public var stopReason: StopReason
    /// Events processed.
    public var events: Int
    /// Messages delivered to replicas.
    public var messagesDelivered: Int
    /// Equivocation evidence items honest replicas reported.
    public var evidenceCount: Int
    /// Transactions committed (by some honest replica).
    public var transactionsCommitted: Int
    /// The largest encoded message an honest replica sent, votes aside (checked against
    /// `SimulationParameters.maxMessageBytes`).
    public var largestMessageBytes: Int
    /// Answers honest replicas sent, link refusals and relayed requests.
    public var traffic: TrafficTally

    /// Creates a result.
    public init(
        scenario: Scenario, violations: [Violation], commits: Int, viewChanges: Int, ledgerHash: Digest,
        ledgerHeight: UInt64, endTime: VirtualTime, stopReason: StopReason, events: Int, messagesDelivered: Int,
        evidenceCount: Int, transactionsCommitted: Int, largestMessageBytes: Int = 0, traffic: TrafficTally = TrafficTally()
    ) {
        self.traffic = traffic
        self.scenario = scenario
        self.violations = violations
        self.commits = commits
        self.viewChanges = viewChanges
        self.ledgerHash = ledgerHash
        self.ledgerHeight = ledgerHeight
        self.endTime = endTime
        self.stopReason = stopReason
        self.events = events
        self.messagesDelivered = messagesDelivered
        self.evidenceCount = evidenceCount
        self.transactionsCommitted = transactionsCommitted
        self.largestMessageBytes = largestMessageBytes
    }

    /// Transactions committed per virtual second (the throughput a run achieved).
    public var transactionsPerVirtualSecond: Double {
        endTime.milliseconds == 0 ? 0 : Double(transactionsCommitted) * 1_000 / Double(endTime.milliseconds)
    }

    /// `true` when no checker objected.
    public var passed: Bool { violations.isEmpty }

    /// One line: seed, strategy, outcome, numbers.
    public var summary: String {
        let verdict = passed ? "ok" : "VIOLATION"
        return "seed \(scenario.seed) \(scenario.strategyName) n=\(scenario.replicaCount) faults=\(scenario.faults): \(verdict); "
            + "\(commits) commits, \(viewChanges) view changes (\(viewChangesAfterGST) after GST; \(abandonedViewChanges) lone ones abandoned), \(transactionsCommitted) txs, \(evidenceCount) evidence, "
            + "stop \(stopReason.rawValue) at \(endTime.milliseconds)ms, \(events) events, largest message \(largestMessageBytes) B, "
            + "ledger \(ledgerHeight):\(ledgerHash.hex.prefix(16))"
    }

    /// The report printed for a failing run: each property, the seed, and the replay command.
    public var failureReport: String {
        var lines = violations.map { "  \($0.property.rawValue): \($0)" }
        lines.insert("seed \(scenario.seed) (strategy \(scenario.strategyName), n=\(scenario.replicaCount)) violated:", at: 0)
        lines.append("  replay: \(scenario.replayCommand)")
        return lines.joined(separator: "\n")
    }
}
