// Checks agreement and progress under seeded random message loss, reordering and a silent replica, by running the hand-driven cluster for many steps and comparing what every replica committed.
import XCTest
@testable import PBFT

final class RandomizedTests: XCTestCase {
    /// Runs one seeded scenario; returns a failure description or nil.
    func run(seed: UInt64, dropPercent: UInt64, silent: Int?) -> String? {
        var rng = SplitMix(seed: seed)
        var c = Cluster()
        c.executes = true
        var nextID: UInt64 = 1
        for step in 0..<400 {
            if step % 10 == 0 && step < 250 {
                let ids = (0..<3).map { _ -> UInt64 in defer { nextID += 1 }; return nextID }
                c.submit(ids)
            }
            // Deliver a random subset of the queue in random order.
            var budget = c.queue.count
            while budget > 0 && !c.queue.isEmpty {
                budget -= 1
                let i = Int(rng.next() % UInt64(c.queue.count))
                let (from, to, m) = c.queue.remove(at: i)
                if let s = silent, (from == s || to == s) && step < 200 { continue }
                if rng.next() % 100 < dropPercent && step < 300 { continue }
                c.deliver(m, to: to)
            }
            c.advance(50)
        }
        // Heal: deliver everything, let retransmission run.
        for _ in 0..<40 { c.deliverAll(); c.advance(100_000) }
        // Agreement: same digest at every sequence number any two replicas committed.
        var bySeq: [SequenceNumber: Digest] = [:]
        for i in 0..<4 {
            for cb in c.committed[i] {
                if let d = bySeq[cb.sequence], d != cb.batch.digest { return "seed \(seed): replicas disagree at \(cb.sequence)" }
                bySeq[cb.sequence] = cb.batch.digest
            }
            let seqs = c.committed[i].map(\.sequence.rawValue)
            if seqs != Array(seqs.indices.map { UInt64($0) + 1 }) && !c.stateTransfers[i].isEmpty == false {
                return "seed \(seed): replica \(i) committed out of order: \(seqs.prefix(20))"
            }
        }
        // Progress: every request committed at the replicas that never needed state transfer.
        let all = Set(1..<nextID)
        for i in 0..<4 where c.stateTransfers[i].isEmpty {
            let ids = Set(c.committedIDs(i))
            if !all.isSubset(of: ids) {
                return "seed \(seed): replica \(i) is missing \(all.subtracting(ids).sorted().prefix(10)) (view \(c.replicas[i].view), changing \(c.replicas[i].isChangingView), lastCommitted \(c.replicas[i].lastCommitted))"
            }
        }
        return nil
    }

    func testAgreementAndProgressUnderLossAndReordering() {
        for seed in UInt64(1)...6 {
            if let failure = run(seed: seed, dropPercent: 10, silent: nil) { XCTFail(failure) }
        }
    }

    func testAgreementAndProgressWithASilentPrimary() {
        for seed in UInt64(11)...14 {
            if let failure = run(seed: seed, dropPercent: 5, silent: 0) { XCTFail(failure) }
        }
    }

    func testAgreementAndProgressWithASilentBackup() {
        for seed in UInt64(21)...24 {
            if let failure = run(seed: seed, dropPercent: 5, silent: 3) { XCTFail(failure) }
        }
    }
}
