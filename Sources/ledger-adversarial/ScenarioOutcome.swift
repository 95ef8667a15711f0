import Foundation

/// Everything measured and checked in one scenario run.
struct ScenarioOutcome: Sendable {
    var scenario: Scenario
    var seed: UInt64
    var directory: String
    var safety: Verdict = .skipped("not run")
    var certificates: Verdict = .skipped("not run")
    var validity: Verdict = .skipped("not run")
    var durability: Verdict = .skipped("not run")
    var liveness: Verdict = .pass
    var evidence: Verdict = .skipped("no equivocator")
    /// The scenario's own bound (`Scenario.maxViewChanges`, `Scenario.maxOutboundShare`).
    var bound: Verdict = .skipped("no bound")
    /// The busiest honest node's outbound frames and bytes per second while the fault script ran.
    var outbound: (frames: Double, bytes: Double)?
    /// `outbound` as a share of the baseline's (the larger of frames and bytes), when a baseline ran.
    var outboundShare: Double?
    /// The attacked node's RPC kept answering honest callers (only scenarios that attack the RPC measure it).
    var service: Verdict = .skipped("not measured")
    /// Honest clients' p99 call latency while the fault script ran, ms (`nil`: too few calls).
    var clientP99Ms: Double?
    /// Transfers clients were told had committed.
    var committed = 0
    /// Highest view on the honest nodes at the end (= view changes since view 0).
    var viewChanges: UInt64 = 0
    /// Seconds from the heal (or crash) until the honest nodes committed a new block.
    var recovery_s: Double?
    /// Committed transfers per second while the fault script ran.
    var throughput: Double = 0
    /// `throughput` as a share of the baseline's, when a baseline ran.
    var throughputShare: Double?
    /// The open-loop load near saturation (`--saturate`), when it ran.
    var saturation: SaturationLoad.Figures?
    /// Its committed rate as a share of the baseline's (the `sat%` column).
    var saturationShare: Double?
    /// Free-form notes (setup problems, client rejections).
    var notes: [String] = []
    /// Figures the fault script measured (printed under the table line whatever the result).
    var measurements: [String] = []

    var verdicts: [(String, Verdict)] {
        [("safety", safety), ("certificates", certificates), ("validity", validity), ("durability", durability),
         ("liveness", liveness), ("evidence", evidence), ("bound", bound), ("rpc", service)]
    }

    /// Some check failed.
    var anyCheckFailed: Bool { verdicts.contains { $0.1.isFailure } }

    /// The f + 1 self-test is satisfied by a safety or liveness failure; every other scenario by no failure.
    var isAsExpected: Bool {
        scenario.expectFailure ? (safety.isFailure || liveness.isFailure) : !anyCheckFailed
    }

    /// Column widths of the table.
    static let widths = [20, 24, 26, 6, 5, 8, 10, 8, 8, 5, 4, 5, 5, 8, 6, 5, 6, 5, 0]

    static func row(_ cells: [String]) -> String {
        zip(cells, widths).map { cell, width in
            width == 0 ? cell : (cell.count >= width ? cell : cell + String(repeating: " ", count: width - cell.count))
        }.joined(separator: " ")
    }

    static let header = row(["scenario", "byzantine (role)", "faults", "safety", "certs", "validity", "durability",
                             "liveness", "evidence", "bound", "rpc", "txs", "views", "recovery", "tput%", "out×", "p99ms", "sat%", "result"])

    /// One table line.
    var line: String {
        let recovery = recovery_s.map { String(format: "%.1fs", $0) } ?? "-"
        let share = scenario.throughputShareNotApplicable != nil ? "n/a"
            : throughputShare.map { String(format: "%.0f%%", $0 * 100) } ?? "-"
        let out = outboundShare.map { String(format: "%.1f", $0) } ?? "-"
        let result = scenario.expectFailure
            ? (isAsExpected ? "expected failure (detected)" : "SELF-TEST NOT DETECTED")
            : (isAsExpected ? "pass" : "FAIL")
        let p99 = clientP99Ms.map { String(format: "%.0f", $0) } ?? "-"
        let sat = saturationShare.map { String(format: "%.0f%%", $0 * 100) } ?? (saturation == nil ? "-" : "?")
        return Self.row([scenario.name, scenario.role, scenario.faults, safety.cell, certificates.cell, validity.cell,
                         durability.cell, liveness.cell, evidence.cell, bound.cell, service.cell, "\(committed)", "\(viewChanges)",
                         recovery, share, out, p99, sat, result])
    }
}
