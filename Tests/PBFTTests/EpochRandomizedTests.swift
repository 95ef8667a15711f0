// Checks the epoch's hard stop under seeded random message loss, reordering, a silent replica, restarts and state
// transfer: no replica commits or votes above the epoch's last sequence number, all agree, and every one completes it.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class EpochRandomizedTests: XCTestCase {
    /// Runs one seeded scenario with a validator-set change in block `changeAt`; returns a failure description or nil.
    func run(seed: UInt64, changeAt: UInt64, dropPercent: UInt64, silent: Int?, restart: Int? = nil) -> String? {
        var rng = SplitMix(seed: seed)
        var c = Cluster(retransmitMs: 400)
        guard let a = EpochBoundary.lastSequence(changeCommittedAt: SequenceNumber(changeAt), window: 8, checkpointInterval: 4) else {
            return "no boundary"
        }
        c.epochChange = (SequenceNumber(changeAt), a)
        c.transfersState = true
        c.autoDeliver = false
        var nextID: UInt64 = 1
        for step in 0..<400 {
            if step % 10 == 0 && step < 250 {
                // Clients keep submitting past what the epoch can order (two requests per slot).
                c.submit((0..<4).map { _ -> UInt64 in defer { nextID += 1 }; return nextID })
            }
            if let r = restart, step == 120 || step == 260 {
                var config = testConfig(r)
                config.retransmitIntervalMs = 400
                // A restart after the change block executed knows the end from its configuration.
                if let last = c.committed[r].last, last.sequence >= SequenceNumber(changeAt) { config.lastSequence = a }
                c.completions[r] = []
                c.restart(r, configuration: config)
            }
            c.deliverRandomly(&rng, step: step, dropPercent: dropPercent, silent: silent)
            c.advance(50)
        }
        c.heal()
        if let seq = c.disagreement { return "seed \(seed): replicas disagree at \(seq)" }
        for i in 0..<4 {
            let seqs = c.committed[i].map(\.sequence.rawValue)
            if seqs != Array(1...a.rawValue) {
                return "seed \(seed): replica \(i) committed \(seqs.first ?? 0)...\(seqs.last ?? 0) (\(seqs.count)), not exactly 1...\(a)"
            }
            if let vote = c.persisted[i].first(where: { record in
                switch record {
                case .prePrepare, .prepare, .commit: record.sequence.map { $0 > a } ?? false
                default: false
                }
            }) {
                return "seed \(seed): replica \(i) signed \(vote) above \(a)"
            }
            if c.completions[i].count != 1 || c.completions[i][0].lastSequence != a {
                return "seed \(seed): replica \(i) completed \(c.completions[i].map(\.lastSequence)), not once at \(a)"
            }
            if let violation = c.replicas[i].checkInvariants().first { return "seed \(seed): replica \(i): \(violation)" }
        }
        if Set((0..<4).map { c.completions[$0][0].blockHash }).count != 1 { return "seed \(seed): the epoch ends at different blocks" }
        return nil
    }

    func testTheStopHoldsUnderLossAndReordering() {
        for seed in UInt64(1)...4 {
            if let failure = run(seed: seed, changeAt: 5 + seed, dropPercent: 10, silent: nil) { XCTFail(failure) }
        }
    }

    func testTheStopHoldsWithASilentPrimaryAndBackup() {
        for seed in UInt64(1_001)...1_002 {
            if let failure = run(seed: seed, changeAt: 7, dropPercent: 5, silent: 0) { XCTFail(failure) }
        }
        for seed in UInt64(2_001)...2_002 {
            if let failure = run(seed: seed, changeAt: 7, dropPercent: 5, silent: 3) { XCTFail(failure) }
        }
    }

    func testTheStopHoldsWhenReplicasRestartFromTheirLog() {
        for seed in UInt64(3_001)...3_004 {
            if let failure = run(seed: seed, changeAt: 6, dropPercent: 5, silent: nil, restart: Int(seed % 4)) { XCTFail(failure) }
        }
    }
}
