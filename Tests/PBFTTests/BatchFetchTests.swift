// Checks that VIEW-CHANGE and NEW-VIEW name batches by digest only, so their size does not grow with the batches, and that replicas lacking batches fetch them (BATCH-FETCH, one FETCHED-BATCH per batch) before they build or install a NEW-VIEW.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class BatchFetchTests: XCTestCase {
    /// Four replicas with a big window and batches of `batchTxs` requests; commits never arrive
    /// while `dropCommits` holds, so every batch stays prepared and uncommitted.
    func cluster(batchTxs: Int) -> Cluster {
        Cluster(k: 100, window: 400) { config in
            config.maxBatchTxs = batchTxs
            config.maxBatchBytes = 1_000_000
        }
    }

    /// `count` full batches' worth of requests, numbered from `first`.
    func requests(_ count: Int, of size: Int, from first: UInt64 = 1) -> [UInt64] {
        Array(first..<(first + UInt64(count * size)))
    }

    /// A normal-case message of view 0.
    static func isViewZeroVote(_ m: TMessage) -> Bool {
        switch m {
        case let .prePrepare(p, _): p.body.view == .zero
        case let .prepare(p): p.body.view == .zero
        case let .commit(p): p.body.view == .zero
        default: false
        }
    }

    static func isViewZeroCommit(_ m: TMessage) -> Bool {
        if case let .commit(p) = m { return p.body.view == .zero }
        return false
    }

    func testAViewChangeOverAFullWindowOfBigBatchesStaysSmallAndCompletes() {
        var c = cluster(batchTxs: 500)
        c.filter = { _, _, m in !Self.isViewZeroCommit(m) }
        c.submit(requests(40, of: 500))
        c.deliverAll()
        let prepared = c.replicas[2].state.entries.values.compactMap(\.preparedBatch)
        XCTAssertEqual(prepared.count, 40, "40 full batches prepared, none committed")
        let batchBytes = prepared.reduce(0) { $0 + $1.encoded().count }
        XCTAssertGreaterThan(batchBytes, 150_000, "\(batchBytes)")

        // The backups time out and ask for view 1; replica 1 holds every batch and installs it.
        var sizes: [String: Int] = [:]
        c.filter = { _, _, m in
            sizes[m.kindName] = max(sizes[m.kindName] ?? 0, m.encoded().count)
            return !Self.isViewZeroCommit(m)
        }
        c.advance(1_100)
        for i in 0..<4 { XCTAssertEqual(c.replicas[i].view, View(1), "replica \(i)") }
        XCTAssertFalse(c.replicas[1].isChangingView)
        let viewChangeBytes = sizes["view-change"] ?? 0
        XCTAssertGreaterThan(viewChangeBytes, 0)
        XCTAssertLessThan(viewChangeBytes, 40 * 1_000, "40 certificates by digest, not \(batchBytes) bytes of batches")
        XCTAssertLessThan(sizes["new-view"] ?? 0, 3 * 40 * 1_000)
        XCTAssertNil(sizes["batch-fetch"], "every replica held every batch: nothing to fetch")

        // The 40 batches commit in view 1 at every replica, in order.
        for i in 0..<4 {
            XCTAssertTrue(c.committed[i].map(\.batch.digest) == prepared.sorted { $0.requests[0].id < $1.requests[0].id }.map(\.digest),
                          "replica \(i) committed \(c.committed[i].count) batches")
            XCTAssertTrue(c.committedIDs(i) == requests(40, of: 500), "replica \(i)")
        }
    }

    func testANewPrimaryThatMissedTheBatchesFetchesThemInBoundedRequests() {
        var c = cluster(batchTxs: 100)
        // Replica 1 (the next primary) hears nothing of view 0's normal case; commits are lost.
        c.filter = { from, to, m in
            !Self.isViewZeroCommit(m) && !(Self.isViewZeroVote(m) && (to == 1 || from == 1))
        }
        c.submit(requests(80, of: 100))
        c.deliverAll()
        XCTAssertEqual(c.replicas[2].state.entries.values.filter { $0.prepared != nil }.count, 80)
        XCTAssertTrue(c.replicas[1].state.entries.isEmpty)

        var fetches: [(from: Int, to: Int, digests: [Digest])] = []
        var served: [Int: Int] = [:]
        c.filter = { from, to, m in
            if case let .batchFetch(f) = m { fetches.append((from, to, f.body.digests)) }
            if case .fetchedBatch = m { served[from, default: 0] += 1 }
            return !Self.isViewZeroCommit(m) && !(Self.isViewZeroVote(m) && (to == 1 || from == 1))
        }
        c.advance(1_100)
        XCTAssertEqual(c.replicas[1].view, View(1))
        XCTAssertFalse(c.replicas[1].isChangingView, "installed once the batches arrived")
        let asked = fetches.filter { $0.from == 1 }
        XCTAssertFalse(asked.isEmpty)
        XCTAssertTrue(asked.allSatisfy { $0.digests.count <= PBFTLimits.maxFetchDigests })
        XCTAssertEqual(Set(asked.flatMap(\.digests)).count, 80, "each missing batch asked for")
        XCTAssertEqual(asked.flatMap(\.digests).count, 80, "and only once")
        XCTAssertEqual(c.replicas[1].counters.batchesFetched, 80)
        XCTAssertEqual(served.values.reduce(0, +), 80)
        XCTAssertEqual(c.replicas[1].state.fetch.fetched.count, 0, "forgotten once installed")
        let record = c.persisted[1].compactMap { if case let .newView(m, bs) = $0 { (m, bs) } else { nil } }.last
        XCTAssertEqual(record?.1.count, 80, "the persisted NEW-VIEW keeps the batches for a restart")

        for i in 0..<4 {
            XCTAssertTrue(c.committedIDs(i) == requests(80, of: 100), "replica \(i) committed \(c.committedIDs(i).count) requests")
        }
    }

    func testANewPrimaryLeavesOutAViewChangeWhoseBatchNobodyServes() {
        var c = cluster(batchTxs: 10)
        let ghost = TestBatch(view: .zero, timestampMilliseconds: 1_000_000, requests: [TestRequest(id: 77)])
        let cert = PreparedCertificate(
            prePrepare: signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: ghost.digest), by: 0),
            prepares: [2, 3].map { signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: ghost.digest), by: $0) })
        let withCert = signed(ViewChange(newView: View(1), stableCheckpoint: .genesis, preparedCertificates: [cert]), by: 3)
        let plain = [0, 2].map { signed(ViewChange(newView: View(1), stableCheckpoint: .genesis, preparedCertificates: []), by: $0) }
        c.deliver(.viewChange(withCert), to: 1)
        c.deliver(.viewChange(plain[0]), to: 1)  // f + 1 ask: replica 1 joins; three votes, one lacking its batch
        XCTAssertTrue(c.replicas[1].isChangingView)
        let asked = c.queue.compactMap { if $0.from == 1, case let .batchFetch(f) = $0.message { ($0.to, f.body.digests) } else { nil } }
        XCTAssertEqual(asked.map(\.0), [3])
        XCTAssertEqual(asked.first?.1, [ghost.digest])
        // Replica 3 never answers; a fourth complete VIEW-CHANGE makes 2f + 1 without it.
        c.queue.removeAll()
        c.deliver(.viewChange(plain[1]), to: 1)
        XCTAssertFalse(c.replicas[1].isChangingView)
        let newView = c.queue.compactMap { if case let .newView(m) = $0.message { m } else { nil } }.first
        XCTAssertEqual(newView?.body.viewChanges.map(\.signer.index).sorted(), [0, 1, 2])
        XCTAssertEqual(newView?.body.prePrepares.count, 0)
    }

    func testAPeerGetsEachBatchAtMostOncePerRetransmissionInterval() {
        var c = Cluster(k: 100, window: 400, retransmitMs: 500) { $0.maxBatchTxs = 10 }
        c.filter = { _, _, m in !Self.isViewZeroCommit(m) }
        c.submit(requests(3, of: 10))
        c.deliverAll()
        let held = c.replicas[0].state.entries.values.compactMap(\.batch).map(\.digest)
        XCTAssertEqual(held.count, 3)
        func answers(_ c: Cluster) -> Int {
            c.queue.filter { if $0.from == 0, $0.to == 3, case .fetchedBatch = $0.message { true } else { false } }.count
        }
        let fetch = signed(BatchFetch(view: View(1), digests: held + held), by: 3)
        c.queue.removeAll()
        c.deliver(.batchFetch(fetch), to: 0)
        XCTAssertEqual(answers(c), 3, "each held batch once, repeats in the request ignored")
        // A faulty peer repeating the fetch gets nothing more within the interval...
        for _ in 0..<10 { c.deliver(.batchFetch(fetch), to: 0) }
        XCTAssertEqual(answers(c), 3)
        XCTAssertEqual(c.replicas[0].counters.fetchesRefusedAsRepeats, 3 + 10 * 6)
        // ...and the batches again once it has passed; another peer is served at once.
        c.deliver(.batchFetch(signed(BatchFetch(view: View(1), digests: held), by: 2)), to: 0)
        XCTAssertEqual(c.queue.filter { $0.to == 2 }.filter { if case .fetchedBatch = $0.message { true } else { false } }.count, 3)
        c.now += 500
        c.deliver(.batchFetch(fetch), to: 0)
        XCTAssertEqual(answers(c), 6)
        XCTAssertEqual(c.replicas[0].counters.batchesServed, 9)
    }

    func testFetchesForBatchesWeDoNotHoldGetNoAnswerAndLateBatchesAreDropped() {
        var c = cluster(batchTxs: 10)
        let b = TestBatch(view: .zero, timestampMilliseconds: 1_000_000, requests: [TestRequest(id: 5)])
        c.queue.removeAll()
        c.deliver(.batchFetch(signed(BatchFetch(view: View(1), digests: [b.digest, TestBatch.null.digest]), by: 2)), to: 0)
        XCTAssertTrue(c.queue.isEmpty, "replica 0 holds no such batch")
        XCTAssertEqual(c.replicas[0].counters.batchesServed, 0)
        c.deliver(.fetchedBatch(b), to: 0)
        XCTAssertEqual(c.replicas[0].counters.unwantedBatches, 1)
        XCTAssertTrue(c.replicas[0].state.fetch.fetched.isEmpty, "an unasked-for batch is not kept")
    }
}
