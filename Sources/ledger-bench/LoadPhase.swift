import BenchSupport

/// One measured stretch of a run: an open loop at a fixed rate or a closed loop with a fixed number of transfers
/// outstanding (submitted and not yet seen committed on their node).
struct LoadPhase: Sendable {
    /// How transfers are offered.
    enum Kind: Sendable {
        /// Transfer k of the phase is due at k / rate seconds (`RateSchedule`).
        case openLoop(rate: Double)
        /// As many are sent as keep `outstanding` unsettled (BFT-SMaRt ThroughputLatency style).
        case closedLoop(outstanding: Int)
    }

    /// How transfers are offered.
    var kind: Kind
    /// Length, s.
    var durationSeconds: Double
    /// Transfers this phase may use at most.
    var transfers: Int

    /// A short label for tables ("rate 2000/s", "closed 4000").
    var label: String {
        switch kind {
        case let .openLoop(rate): "rate \(Int(rate))/s"
        case let .closedLoop(w): "closed W=\(w)"
        }
    }
}

/// What happened in a phase, on the run's clock (ns since the run started).
struct PhaseRecord: Sendable {
    /// The phase.
    var phase: LoadPhase
    /// Start and end of submission.
    var startNs: UInt64, endNs: UInt64
    /// The transfers it dispatched: `firstTransfer..<endTransfer`.
    var firstTransfer: Int, endTransfer: Int
    /// Transfers that were due but still queued when the phase ended (the client or node could not keep up).
    var backlogAtEnd: Int
    /// When the primary was killed (recovery scenario), and which node.
    var killNs: UInt64?
    var killedNode: Int?
}
