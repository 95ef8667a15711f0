// Checks agreement and progress under seeded random message loss, reordering and a silent replica, by running the hand-driven cluster for many steps and comparing what every replica committed.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class RandomizedTests: XCTestCase {
    /// Runs one seeded scenario; returns a failure description or nil.
    func run(seed: UInt64, dropPercent: UInt64, silent: Int?, restart: Int? = nil) -> String? {
        var rng = SplitMix(seed: seed)
        var c = Cluster(retransmitMs: 400)
        c.transfersState = true
        c.autoDeliver = false
        var nextID: UInt64 = 1
        for step in 0..<400 {
            if step % 10 == 0 && step < 250 {
                let ids = (0..<3).map { _ -> UInt64 in defer { nextID += 1 }; return nextID }
                c.submit(ids)
            }
            if let r = restart, step == 120 || step == 260 {
                var config = testConfig(r)
                config.retransmitIntervalMs = 400
                c.restart(r, configuration: config)
            }
            // Deliver a random subset of the queue in random order.
            c.deliverRandomly(&rng, step: step, dropPercent: dropPercent, silent: silent)
            c.advance(50)
        }
        c.heal()
        if ProcessInfo.processInfo.environment["PBFT_DEBUG"] != nil { for i in 0..<4 { print(seed, i, c.replicas[i].view, c.replicas[i].lastCommitted, c.replicas[i].counters, c.persisted[i].count, c.replicas[i].state.stateTransferTarget as Any, c.replicas[i].lowWatermark, c.stateTransfers[i].map(\.sequence), c.committed[i].last?.sequence as Any, c.notes[i].filter { if case .dropped = $0 { false } else { true } }.suffix(8)) } }
        // Agreement: same digest at every sequence number any two replicas committed.
        if let seq = c.disagreement { return "seed \(seed): replicas disagree at \(seq)" }
        for i in 0..<4 {
            let seqs = c.committed[i].map(\.sequence.rawValue)
            if seqs != Array(seqs.indices.map { UInt64($0) + 1 }) {
                return "seed \(seed): replica \(i) committed out of order: \(seqs.prefix(20))"
            }
        }
        // Progress: every request committed at the replicas that never needed state transfer.
        let all = Set(1..<nextID)
        for i in 0..<4 {
            let ids = Set(c.committedIDs(i))
            if !all.isSubset(of: ids) {
                return "seed \(seed): replica \(i) is missing \(all.subtracting(ids).sorted().prefix(10)) (view \(c.replicas[i].view), changing \(c.replicas[i].isChangingView), lastCommitted \(c.replicas[i].lastCommitted))"
            }
        }
        return nil
    }

    /// Extra seeds per scenario from `PBFT_SEEDS` (default 0) for longer local runs.
    var extraSeeds: UInt64 { UInt64(ProcessInfo.processInfo.environment["PBFT_SEEDS"] ?? "") ?? 0 }

    func testAgreementAndProgressUnderLossAndReordering() {
        for seed in UInt64(1)...(3 + extraSeeds) {
            if let failure = run(seed: seed, dropPercent: 10, silent: nil) { XCTFail(failure) }
        }
    }

    func testAgreementAndProgressWithASilentPrimary() {
        for seed in UInt64(1_001)...(1_002 + extraSeeds) {
            if let failure = run(seed: seed, dropPercent: 5, silent: 0) { XCTFail(failure) }
        }
    }

    func testAgreementAndProgressWithASilentBackup() {
        for seed in UInt64(2_001)...(2_002 + extraSeeds) {
            if let failure = run(seed: seed, dropPercent: 5, silent: 3) { XCTFail(failure) }
        }
    }
}

extension RandomizedTests {
    func testAgreementAndProgressWhenReplicasRestartFromTheirLog() {
        for seed in UInt64(3_001)...(3_002 + extraSeeds) {
            if let failure = run(seed: seed, dropPercent: 5, silent: nil, restart: Int(seed % 4)) { XCTFail(failure) }
        }
    }

    func testAgreementAndProgressUnderHeavyLoss() {
        for seed in UInt64(4_001)...(4_001 + extraSeeds) {
            if let failure = run(seed: seed, dropPercent: 30, silent: 1) { XCTFail(failure) }
        }
    }
}
