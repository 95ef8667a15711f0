import Synchronization

/// What one peer may make this node decode and verify of its transaction gossip: a token bucket in
/// transactions and in bytes, charged before anything is decoded (decision 0009).
///
/// An honest validator sends a peer each transaction at most twice a view: once as gossip of what its
/// own clients submitted — its admission control (`AdmissionControl`) keeps that at about the chain's
/// commit rate, in bursts no larger than its admission backlog — and, as a backup, once as a relay
/// of a request the primary has not ordered (`Replica+Relay.swift`). So an honest peer stays below
/// twice the chain's commit rate. A Byzantine validator can gossip without limit; past the budget its
/// transactions are dropped undecoded, so it can buy at most the budget's worth of decoding, cheap
/// checks and signature checks here, however fast it sends.
///
/// A transaction an honest sender would have refused itself — undecodable, for another chain, a zero
/// amount, a sender with no account, a bad signature — costs its sender `faultPenalty` more
/// transactions' worth (and as many times its bytes), so a peer sending such transactions loses its
/// budget faster. The debt is bounded: the buckets never go below minus one burst, so a peer that
/// stops is back within two seconds at the default rates.
///
/// Pure and integer: the caller passes a monotonic clock in milliseconds. Tokens are kept in
/// thousandths (a rate per second times elapsed milliseconds), so refills lose nothing to rounding.
public struct GossipAllowance: Sendable, Equatable {
    /// Transactions per second refilled, and the burst (the bucket's size) in transactions.
    public let transactionsPerSecond: Int64
    public let burstTransactions: Int64
    /// Bytes per second refilled, and the burst in bytes.
    public let bytesPerSecond: Int64
    public let burstBytes: Int64
    /// Extra transactions' worth a faulty transaction costs (see above).
    public let faultPenalty: Int64
    /// Tokens in thousandths of a transaction and of a byte.
    private(set) var transactionMillis: Int64
    private(set) var byteMillis: Int64
    private var lastMs: UInt64?

    /// A full bucket. Rates and bursts below 1 are taken as 1, rates above `NodeLimits.gossipBudgetMaxRate` as that;
    /// a negative penalty as 0.
    public init(transactionsPerSecond: Int, bytesPerSecond: Int, burstSeconds: Int = 1, faultPenalty: Int = 0) {
        let seconds = Int64(max(1, burstSeconds))
        self.transactionsPerSecond = Int64(min(max(1, transactionsPerSecond), NodeLimits.gossipBudgetMaxRate))
        self.bytesPerSecond = Int64(min(max(1, bytesPerSecond), NodeLimits.gossipBudgetMaxRate))
        burstTransactions = self.transactionsPerSecond * seconds
        burstBytes = self.bytesPerSecond * seconds
        self.faultPenalty = Int64(max(0, faultPenalty))
        transactionMillis = burstTransactions * 1_000
        byteMillis = burstBytes * 1_000
    }

    /// The whole transactions and bytes available now (negative: in debt).
    public var available: (transactions: Int64, bytes: Int64) { (transactionMillis / 1_000, byteMillis / 1_000) }

    /// Refills for the time since the last call (a clock that goes back refills nothing).
    public mutating func refill(nowMs: UInt64) {
        defer { lastMs = max(lastMs ?? nowMs, nowMs) }
        guard let last = lastMs, nowMs > last else { return }
        // Past a burst's worth of time (plus the longest debt) every bucket is full: no overflow.
        let elapsed = Int64(min(nowMs - last, 4_000_000))
        transactionMillis = min(burstTransactions * 1_000, transactionMillis + transactionsPerSecond * elapsed)
        byteMillis = min(burstBytes * 1_000, byteMillis + bytesPerSecond * elapsed)
    }

    /// Takes the leading transactions of `byteCounts` (one frame, in order) that the budget covers at
    /// `nowMs` and returns how many: the rest are over budget. A transaction is covered while a whole
    /// transaction and its bytes are left.
    public mutating func take(_ byteCounts: some Collection<Int>, nowMs: UInt64) -> Int {
        refill(nowMs: nowMs)
        var taken = 0
        for count in byteCounts {
            let bytes = Int64(max(0, count)) * 1_000
            guard transactionMillis >= 1_000, byteMillis >= bytes else { break }
            transactionMillis -= 1_000
            byteMillis -= bytes
            taken += 1
        }
        return taken
    }

    /// A transaction of `bytes` that was taken turned out faulty: charges the penalty (bounded debt).
    public mutating func penalize(bytes: Int) {
        let (scaledBytes, overflow) = Int64(max(0, bytes)).multipliedReportingOverflow(by: faultPenalty * 1_000)
        transactionMillis = max(-burstTransactions * 1_000, transactionMillis - faultPenalty * 1_000)
        byteMillis = overflow ? -burstBytes * 1_000 : max(-burstBytes * 1_000, byteMillis - scaledBytes)
    }
}

/// Why a gossiped transaction was counted as one an honest sender would have refused itself.
public enum GossipFault: String, Sendable, CaseIterable {
    case malformed, wrongChain = "wrong_chain", zeroAmount = "zero_amount", unknownSender = "unknown_sender"
    case badSignature = "bad_signature"
}

/// One peer's gossip budget and what it cost: shared by the peer's gossip worker (which charges it)
/// and `/metrics` (which reads the counts).
final class PeerGossipBudget: Sendable {
    let peer: Int
    private struct State {
        var allowance: GossipAllowance
        var overBudget = 0
        var received = 0
        var signatureChecks = 0
        var faults: [GossipFault: Int] = [:]
        /// When the peer last went over budget was logged, and the drops not yet logged.
        var loggedAtMs: UInt64?
        var unloggedDrops = 0
    }
    private let state: Mutex<State>

    init(peer: Int, allowance: GossipAllowance) {
        self.peer = peer
        state = Mutex(State(allowance: allowance))
    }

    /// Charges a frame's transactions (their encoded sizes) at `nowMs`; returns how many of the leading
    /// ones are covered, and, when the rest are dropped, whether to log it now (at most once per
    /// `NodeLimits.gossipBudgetLogIntervalMs`) with the drops since the last log line.
    func take(_ byteCounts: [Int], nowMs: UInt64) -> (covered: Int, log: Int?) {
        state.withLock { s in
            let covered = s.allowance.take(byteCounts, nowMs: nowMs)
            s.received += byteCounts.count
            let dropped = byteCounts.count - covered
            guard dropped > 0 else { return (covered, nil) }
            s.overBudget += dropped
            s.unloggedDrops += dropped
            if let at = s.loggedAtMs, nowMs >= at, nowMs - at < NodeLimits.gossipBudgetLogIntervalMs { return (covered, nil) }
            s.loggedAtMs = nowMs
            defer { s.unloggedDrops = 0 }
            return (covered, s.unloggedDrops)
        }
    }

    /// A covered transaction of `bytes` was faulty for `fault`.
    func penalize(_ fault: GossipFault, bytes: Int) {
        state.withLock { s in
            s.allowance.penalize(bytes: bytes)
            s.faults[fault, default: 0] += 1
        }
    }

    /// `count` signatures of this peer's gossip were checked.
    func checkedSignatures(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.signatureChecks += count }
    }

    /// Counts since the node started.
    var counts: (received: Int, overBudget: Int, signatureChecks: Int, faults: [GossipFault: Int]) {
        state.withLock { ($0.received, $0.overBudget, $0.signatureChecks, $0.faults) }
    }

    /// The budget now (tests).
    var allowance: GossipAllowance { state.withLock { $0.allowance } }
}

/// Every peer's gossip budget (one per other validator), for the workers and for `/metrics`.
final class GossipBudgets: Sendable {
    private let budgets: Mutex<[Int: PeerGossipBudget]>
    private let allowance: GossipAllowance
    /// The key of the one budget all full nodes' relayed transactions share (labelled `full_nodes`):
    /// a hostile full node can crowd out other full nodes' relays, never a validator's gossip.
    static let fullNodesKey = -1

    /// A full budget of `transactionsPerSecond` and `bytesPerSecond` (burst: one second's worth) for each of
    /// `peers`; a validator that joins later gets its own on its first message (`budget(for:)`).
    init(peers: [Int], transactionsPerSecond: Int, bytesPerSecond: Int) {
        let allowance = GossipAllowance(
            transactionsPerSecond: transactionsPerSecond, bytesPerSecond: bytesPerSecond,
            burstSeconds: NodeLimits.gossipBudgetBurstSeconds, faultPenalty: NodeLimits.gossipFaultPenaltyTransactions)
        self.allowance = allowance
        budgets = Mutex(Dictionary(uniqueKeysWithValues: peers.map { ($0, PeerGossipBudget(peer: $0, allowance: allowance)) }))
    }

    /// The budget of `peer` (a validator index, or `fullNodesKey`), made full the first time it is asked for.
    func budget(for peer: Int) -> PeerGossipBudget {
        budgets.withLock { b in
            if let budget = b[peer] { return budget }
            let budget = PeerGossipBudget(peer: peer, allowance: allowance)
            b[peer] = budget
            return budget
        }
    }

    /// Every budget made so far, by peer.
    var peers: [Int: PeerGossipBudget] { budgets.withLock { $0 } }

    /// The counts as `/metrics` names them, labelled by peer (and by reason for faults).
    var prometheusTotals: [(name: String, labels: [(String, String)], value: Int)] {
        var totals: [(name: String, labels: [(String, String)], value: Int)] = []
        for (peer, budget) in peers.sorted(by: { $0.key < $1.key }) {
            let c = budget.counts
            let label = ("peer", peer == GossipBudgets.fullNodesKey ? "full_nodes" : "\(peer)")
            totals.append(("ledger_gossip_transactions_received", [label], c.received))
            totals.append(("ledger_gossip_dropped_over_budget", [label], c.overBudget))
            totals.append(("ledger_gossip_signature_checks", [label], c.signatureChecks))
            for fault in GossipFault.allCases {
                totals.append(("ledger_gossip_faulty_transactions", [label, ("reason", fault.rawValue)], c.faults[fault] ?? 0))
            }
        }
        return totals
    }
}
