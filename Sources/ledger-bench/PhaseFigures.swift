import BenchSupport
import Foundation

/// The figures of one phase, all taken over its steady-state window and measured from the ledger: commit instants
/// are arrivals of the blocks holding the transfers (on the node each was sent to, for latency; on the reference
/// node, for throughput).
struct PhaseFigures: Sendable {
    var label: String
    var rate: Double?
    var outstanding: Int?
    /// The steady-state window, s on the run clock.
    var window: SteadyWindow
    var offeredTps: Double
    var committedTps: Double
    var blocksPerSecond: Double
    var meanBlockTxs: Double
    var latency: LatencySummary?
    /// Submit → `broadcast_tx_sync` answer (admission), same transfers as `latency`.
    var admission: LatencySummary?
    /// The same per node the transfers were sent to (by index in the nodes file; `nil` = none sent there):
    /// a closed loop's outstanding transfers pile up at the node that answers slowest.
    var admissionByNode: [LatencySummary?] = []
    /// Transfers sent in the window and accepted, but never seen committed on their node.
    var uncommittedInWindow: Int
    /// CPU per node over the window, % of one core (`nil`: no pid or no samples).
    var cpuPercent: [Double?]
    /// The load generator's own CPU over the window.
    var benchCpuPercent: Double?
    /// Transfers due but still queued at the end (offered load the client or node did not take).
    var backlogAtEnd: Int
    /// The recovery scenario's result.
    var recovery: ThroughputWindows.Recovery?
    var killedNode: Int?
    var killAtSeconds: Double?
    /// Committed tx/s per 250 ms window over the phase (recovery scenario).
    var windowRates: [Double]

    /// Computes the figures of `record` from the engine's state (on its loop).
    static func compute(_ e: LoadEngine, _ record: PhaseRecord, warmup: Double, cooldown: Double) -> PhaseFigures {
        let start = Double(record.startNs) / 1e9, end = Double(record.endNs) / 1e9
        let w = SteadyWindow(phaseStart: start, phaseEnd: end, warmupFraction: warmup, cooldownFraction: cooldown)
        let d = max(w.duration, 1e-9)
        var offered = 0, uncommitted = 0
        var latencies: [Double] = []
        var admissions: [Double] = []
        var admissionsByNode: [[Double]] = Array(repeating: [], count: e.nodes.count)
        for k in record.firstTransfer..<record.endTransfer where e.sentTo[k] >= 0 {
            let s = Double(e.submitNs[k]) / 1e9
            guard w.contains(s) else { continue }
            offered += 1
            if e.answerNs[k] > 0 {
                let ms = Double(e.answerNs[k] &- e.submitNs[k]) / 1e6
                admissions.append(ms)
                if Int(e.sentTo[k]) < admissionsByNode.count { admissionsByNode[Int(e.sentTo[k])].append(ms) }
            }
            if e.commitNs[k] > 0 {
                latencies.append(Double(e.commitNs[k] &- e.submitNs[k]) / 1e6)
            } else if e.tally.admission(k) == .accepted {
                uncommitted += 1
            }
        }
        var ours = 0, blocks = 0, txs = 0
        for b in e.referenceBlocks where w.contains(Double(b.atNs) / 1e9) {
            ours += b.ours
            txs += b.txs
            blocks += 1
        }
        let fromNs = UInt64(w.start * 1e9), toNs = UInt64(w.end * 1e9)
        let cpu = e.nodes.indices.map { i in
            ProcessSample.cpuPercent(e.samples[i].map(rebase(e)), fromNs: fromNs, toNs: toNs)
        }
        var figures = PhaseFigures(
            label: record.phase.label, window: w, offeredTps: Double(offered) / d, committedTps: Double(ours) / d,
            blocksPerSecond: Double(blocks) / d, meanBlockTxs: blocks == 0 ? 0 : Double(txs) / Double(blocks),
            latency: LatencySummary(samplesMs: latencies), admission: LatencySummary(samplesMs: admissions),
            uncommittedInWindow: uncommitted, cpuPercent: cpu,
            benchCpuPercent: ProcessSample.cpuPercent(e.selfSamples.map(rebase(e)), fromNs: fromNs, toNs: toNs),
            backlogAtEnd: record.backlogAtEnd, windowRates: [])
        figures.admissionByNode = admissionsByNode.map { LatencySummary(samplesMs: $0) }
        switch record.phase.kind {
        case let .openLoop(rate): figures.rate = rate
        case let .closedLoop(n): figures.outstanding = n
        }
        if let killNs = record.killNs {
            let width = Double(BenchLimits.sampleMs) / 1000
            let tw = ThroughputWindows(
                events: e.referenceBlocks.map { (time: Double($0.atNs) / 1e9, transactions: $0.ours) }, start: start, width: width,
                windowCount: Int((end - start) / width))
            figures.windowRates = tw.counts.indices.map(tw.rate)
            figures.killAtSeconds = Double(killNs) / 1e9 - start
            figures.killedNode = record.killedNode
            figures.recovery = tw.recovery(faultTime: Double(killNs) / 1e9, baselineStart: w.start, share: BenchLimits.recoveredShare)
        }
        return figures
    }

    /// Samples on the run clock (ns since t0).
    private static func rebase(_ e: LoadEngine) -> (ProcessSample) -> ProcessSample {
        { s in var s = s; s.atNs = s.atNs &- e.t0Ns; return s }
    }
}
