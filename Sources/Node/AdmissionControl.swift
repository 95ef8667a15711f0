import Synchronization

/// Decides when the node refuses client transactions as busy, so that load beyond what the
/// validators commit waits at the clients instead of in the mempools.
///
/// Without it, an open-loop client offering more than the system commits grows every mempool
/// without bound; every request's wait for a PRE-PREPARE grows with it until the backups' pace
/// check (`Replica+Pace.swift`) reads the honest, merely saturated primary as slow and votes it
/// out, again and again, and throughput falls far below what the system could commit.
///
/// Two rules, either of which refuses:
/// - **the backlog**: the transactions waiting here (admitted, not yet committed) against the
///   recent commit rate. By Little's law a transaction admitted now waits about
///   `backlog / rate`; past `limitMs` the node is busy. This rule moves with every admission,
///   so it reacts before anything has waited long. A floor of `minimumBacklog` keeps a node
///   whose rate is not known yet (start, a view change) taking a few blocks' worth.
/// - **an aging backlog**: at least `minimumBacklog` transactions wait and the oldest request
///   the replica holds unordered has waited past `ageLimitMs`, what the pace check itself
///   measures. Age lags (a request is only old once it has waited), so this rule starts early,
///   at a third of the bound; requiring a backlog keeps a lone straggler (a request the primary
///   has not heard of yet) from refusing clients while the system keeps up.
///
/// `limitMs` is `admissionWaitPermilleOfPaceBound` of the pace check's bound in force, leaving
/// the rest of the bound for what was admitted before the refusals began; `ageLimitMs` is
/// `admissionAgePermilleOfPaceBound` of it. Transactions gossiped by other validators are never
/// refused here: the validator that took them from the client already counted them against its
/// own limit, and gossip is not resent.
///
/// Pure: the caller passes the clock.
public struct AdmissionControl: Sendable {
    /// How far back the commit rate looks, ms.
    public let windowMs: UInt64
    /// Transactions always taken whatever the rate (a few blocks' worth).
    public let minimumBacklog: Int
    private var commits: [(atMs: UInt64, count: Int)] = []
    private var head = 0
    private var inWindow = 0

    /// An admission control with no commits seen yet.
    public init(minimumBacklog: Int, windowMs: UInt64 = NodeLimits.admissionRateWindowMs) {
        self.minimumBacklog = max(1, minimumBacklog)
        self.windowMs = max(1, windowMs)
    }

    /// `count` transactions were committed at `nowMs`.
    public mutating func committed(_ count: Int, nowMs: UInt64) {
        guard count > 0 else { return }
        commits.append((nowMs, count))
        inWindow += count
        prune(nowMs: nowMs)
    }

    /// Transactions committed per second over the last `windowMs`.
    public mutating func committedPerSecond(nowMs: UInt64) -> Double {
        prune(nowMs: nowMs)
        return Double(inWindow) * 1_000 / Double(windowMs)
    }

    /// The most transactions that may wait here before client transactions are refused.
    public mutating func backlogLimit(limitMs: UInt64, nowMs: UInt64) -> Int {
        let allowed = committedPerSecond(nowMs: nowMs) * Double(limitMs) / 1_000
        return allowed >= Double(Int.max / 2) ? Int.max / 2 : max(minimumBacklog, Int(allowed))
    }

    /// The busy refusal for a client transaction arriving at `nowMs`, or `nil` to go on with
    /// admission: `backlog` transactions wait here, the oldest request the replica holds
    /// unordered has waited `oldestUnorderedWaitMs`, and the pace check's bound is `paceBoundMs`.
    public mutating func refusal(backlog: Int, oldestUnorderedWaitMs: UInt64, paceBoundMs: UInt64, nowMs: UInt64) -> MempoolRejection? {
        let limit = Self.limitMs(paceBoundMs: paceBoundMs)
        let ageLimit = Self.ageLimitMs(paceBoundMs: paceBoundMs)
        let backlogLimit = backlogLimit(limitMs: limit, nowMs: nowMs)
        let aging = backlog >= minimumBacklog && oldestUnorderedWaitMs > ageLimit
        guard backlog >= backlogLimit || aging else { return nil }
        return .busy(backlog: backlog, backlogLimit: backlogLimit, waitedMs: oldestUnorderedWaitMs, limitMs: ageLimit,
                     retryAfterMs: NodeLimits.busyRetryAfterMs)
    }

    /// `admissionWaitPermilleOfPaceBound` of `paceBoundMs`.
    public static func limitMs(paceBoundMs: UInt64) -> UInt64 { share(paceBoundMs, NodeLimits.admissionWaitPermilleOfPaceBound) }

    /// `admissionAgePermilleOfPaceBound` of `paceBoundMs`.
    public static func ageLimitMs(paceBoundMs: UInt64) -> UInt64 { share(paceBoundMs, NodeLimits.admissionAgePermilleOfPaceBound) }

    private static func share(_ value: UInt64, _ permille: UInt64) -> UInt64 {
        let (scaled, overflow) = value.multipliedReportingOverflow(by: permille)
        return overflow ? value / 1_000 * permille : scaled / 1_000
    }

    private mutating func prune(nowMs: UInt64) {
        let from = nowMs > windowMs ? nowMs - windowMs : 0
        while head < commits.count, commits[head].atMs < from {
            inWindow -= commits[head].count
            head += 1
        }
        if head > 1_024, head * 2 > commits.count {
            commits.removeFirst(head)
            head = 0
        }
    }
}

/// The driver's latest busy verdict, readable without waiting for the driver: while the node is
/// busy, RPC submissions are refused from here before their signatures are checked, so clients
/// resending refused transactions do not spend the CPU the validators are short of. Every
/// `busyGateRecheckMs` one submission goes through to the driver, which renews or clears it.
public final class BusyGate: Sendable {
    private let state = Mutex<(refusal: MempoolRejection?, atMs: UInt64)>((nil, 0))

    /// An open gate.
    public init() {}

    /// Records the driver's verdict at `nowMs` (`nil`: taking client transactions).
    public func record(_ refusal: MempoolRejection?, nowMs: UInt64) {
        state.withLock { $0 = (refusal, nowMs) }
    }

    /// The refusal to answer at `nowMs` without asking the driver, or `nil` to ask it. When the
    /// last verdict is older than `busyGateRecheckMs`, the caller is let through (and the verdict
    /// is renewed, so concurrent callers still wait for the driver's new one).
    public func cachedRefusal(nowMs: UInt64) -> MempoolRejection? {
        state.withLock { s in
            guard let refusal = s.refusal else { return nil }
            guard nowMs >= s.atMs, nowMs - s.atMs >= NodeLimits.busyGateRecheckMs else { return refusal }
            s.atMs = nowMs
            return nil
        }
    }
}
