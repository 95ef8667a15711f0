// Checks the per-peer gossip budget (decision 0009): the token bucket covers a burst, then refills at its rate in
// transactions and in bytes, takes a frame's leading transactions only, charges faulty transactions a bounded
// penalty and survives clocks that stall or jump; the over-budget log line is rate limited; the defaults cover
// twice the best measured commit rate. Then a real driver and store (network not started): a peer worker drops
// gossip past the budget undecoded, checks no signature for transactions the mempool would refuse anyway, and
// charges the penalty for unknown senders, zero amounts and bad signatures but not for duplicates.
import Foundation
import LedgerCore
import LedgerCrypto
import Logging
@testable import Node
import P2P
import PBFT
import RPC
import Synchronization
import XCTest

final class GossipBudgetTests: XCTestCase {
    func testABurstIsCoveredThenTheRateRefills() {
        var a = GossipAllowance(transactionsPerSecond: 1_000, bytesPerSecond: 1_000_000, burstSeconds: 2)
        XCTAssertEqual(a.available.transactions, 2_000)
        XCTAssertEqual(a.take(Array(repeating: 100, count: 2_500), nowMs: 0), 2_000, "one burst, then nothing")
        XCTAssertEqual(a.take([100], nowMs: 0), 0)
        XCTAssertEqual(a.take(Array(repeating: 100, count: 50), nowMs: 10), 10, "10 ms at 1,000 tx/s")
        XCTAssertEqual(a.take(Array(repeating: 100, count: 5_000), nowMs: 1_010), 1_000)
        XCTAssertEqual(a.take(Array(repeating: 100, count: 5_000), nowMs: 1_000_000), 2_000, "refills to the burst, no further")
    }

    func testBytesBindForLargeTransactionsAndOnlyALeadingRunIsTaken() {
        var a = GossipAllowance(transactionsPerSecond: 1_000, bytesPerSecond: 10_000, burstSeconds: 1)
        XCTAssertEqual(a.take([4_000, 4_000, 4_000, 10], nowMs: 0), 2, "the third does not fit; the small one after it is not taken either")
        XCTAssertEqual(a.available.bytes, 2_000)
        XCTAssertEqual(a.available.transactions, 998)
    }

    func testAClockThatGoesBackRefillsNothing() {
        var a = GossipAllowance(transactionsPerSecond: 100, bytesPerSecond: 1_000_000)
        XCTAssertEqual(a.take(Array(repeating: 1, count: 100), nowMs: 5_000), 100)
        XCTAssertEqual(a.take([1], nowMs: 1_000), 0, "earlier than the last call")
        XCTAssertEqual(a.take([1], nowMs: 5_000), 0)
        XCTAssertEqual(a.take([1, 1], nowMs: 5_010), 1, "10 ms after the latest reading")
    }

    func testAFaultCostsThePenaltyAndTheDebtIsBounded() {
        var a = GossipAllowance(transactionsPerSecond: 1_000, bytesPerSecond: 1_000_000, burstSeconds: 1, faultPenalty: 64)
        XCTAssertEqual(a.take([200], nowMs: 0), 1)
        a.penalize(bytes: 200)
        XCTAssertEqual(a.available.transactions, 1_000 - 1 - 64)
        XCTAssertEqual(a.available.bytes, 1_000_000 - 200 - 64 * 200)
        for _ in 0..<1_000 { a.penalize(bytes: 200) }
        XCTAssertEqual(a.available.transactions, -1_000, "at most one burst of debt")
        XCTAssertEqual(a.take([200], nowMs: 1_000), 0, "one second pays the debt back to zero")
        XCTAssertEqual(a.take([200], nowMs: 1_001), 1)
        a.penalize(bytes: Int.max)
        XCTAssertEqual(a.available.bytes, -1_000_000, "a huge size saturates instead of overflowing")
    }

    func testDegenerateParametersAreClamped() {
        var a = GossipAllowance(transactionsPerSecond: 0, bytesPerSecond: -5, burstSeconds: 0, faultPenalty: -3)
        XCTAssertEqual(a.transactionsPerSecond, 1)
        XCTAssertEqual(a.bytesPerSecond, 1)
        XCTAssertEqual(a.faultPenalty, 0)
        XCTAssertEqual(a.take([1], nowMs: 0), 1)
        let huge = GossipAllowance(transactionsPerSecond: .max, bytesPerSecond: .max)
        XCTAssertEqual(huge.transactionsPerSecond, Int64(NodeLimits.gossipBudgetMaxRate))
        var h = huge
        XCTAssertEqual(h.take([1], nowMs: .max), 1, "no overflow at the largest rate and clock")
    }

    func testTheDefaultsCoverTwiceTheBestMeasuredCommitRateAndTheLargestTransactions() {
        let bestMeasuredCommitRate = 7_140  // docs/perf-log/2026-12-01-to-04-throughput.md, closed loop
        XCTAssertGreaterThanOrEqual(NodeLimits.gossipBudgetTransactionsPerSecond, 2 * bestMeasuredCommitRate)
        XCTAssertGreaterThanOrEqual(NodeLimits.gossipBudgetBytesPerSecond,
                                    NodeLimits.gossipBudgetTransactionsPerSecond * Limits.transactionMaxBytes,
                                    "with today's size limit the count binds first")
        XCTAssertLessThanOrEqual(NodeLimits.gossipBudgetTransactionsPerSecond, NodeLimits.gossipBudgetMaxRate)
    }

    func testOverBudgetDropsAreCountedAndLoggedAtMostOncePerInterval() {
        let budget = PeerGossipBudget(peer: 3, allowance: GossipAllowance(transactionsPerSecond: 10, bytesPerSecond: 1_000_000))
        XCTAssertEqual(budget.take(Array(repeating: 10, count: 25), nowMs: 0).covered, 10)
        XCTAssertNil(budget.take([], nowMs: 0).log)
        XCTAssertEqual(budget.take(Array(repeating: 10, count: 3), nowMs: 100).log, nil, "within the interval: counted, not logged")
        let later = budget.take(Array(repeating: 10, count: 2), nowMs: NodeLimits.gossipBudgetLogIntervalMs)
        XCTAssertEqual(later.covered, 2, "refilled meanwhile")
        XCTAssertNil(later.log)
        let logged = budget.take(Array(repeating: 10, count: 500), nowMs: NodeLimits.gossipBudgetLogIntervalMs + 1)
        XCTAssertEqual(logged.log, 500 - logged.covered + 2, "the drops since the last line")
        XCTAssertEqual(budget.counts.overBudget, 15 + 2 + 500 - logged.covered)
        XCTAssertEqual(budget.counts.received, 25 + 3 + 2 + 500)
    }

    func testMetricsNameEveryPeerAndFaultReason() {
        let budgets = GossipBudgets(peers: [0, 2], transactionsPerSecond: 5, bytesPerSecond: 1_000)
        _ = budgets.peers[2]!.take(Array(repeating: 10, count: 8), nowMs: 0)
        budgets.peers[2]!.penalize(.badSignature, bytes: 10)
        let totals = budgets.prometheusTotals
        func value(_ name: String, _ labels: [String]) -> Int? {
            totals.first { $0.name == name && $0.labels.map { "\($0.0)=\($0.1)" } == labels }?.value
        }
        XCTAssertEqual(value("ledger_gossip_dropped_over_budget", ["peer=2"]), 3)
        XCTAssertEqual(value("ledger_gossip_transactions_received", ["peer=2"]), 8)
        XCTAssertEqual(value("ledger_gossip_dropped_over_budget", ["peer=0"]), 0)
        XCTAssertEqual(value("ledger_gossip_faulty_transactions", ["peer=2", "reason=bad_signature"]), 1)
        XCTAssertEqual(value("ledger_gossip_faulty_transactions", ["peer=0", "reason=unknown_sender"]), 0)
        XCTAssertNil(value("ledger_gossip_dropped_over_budget", ["peer=1"]), "no budget for this node itself")

        // As /metrics renders them (the series the catalog's gossip-flood scenario reads).
        let metrics = RPCMetrics()
        metrics.setLabelledTotals(totals)
        let text = String(decoding: metrics.render(), as: UTF8.self)
        XCTAssertEqual(PrometheusTextCheck.value(text, #"ledger_gossip_dropped_over_budget{peer="2"}"#), 3, text)
        XCTAssertEqual(PrometheusTextCheck.value(text, #"ledger_gossip_faulty_transactions{peer="2",reason="bad_signature"}"#), 1, text)
    }

    // MARK: The worker's gossip intake on a real driver and store

    /// A backup's node (network not started) and a worker for peer 3 whose budget and clock the test holds.
    private func makeWorker(transactionsPerSecond: Int) async throws
        -> (node: LedgerNode, worker: PeerWorker, budget: PeerGossipBudget, clock: TestClock, faucet: SigningKey, chainID: String, cleanup: () -> Void) {
        let directory = NSTemporaryDirectory() + "gossip-budget-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let result = try TestnetGenerator(validators: 4, outputDirectory: directory, basePort: 39_400, chainID: "gossip-budget",
                                          consensus: .testDefaults).generate()
        var logger = Logger(label: "gossip-budget-test")
        logger.logLevel = .error
        let node = try LedgerNode(home: NodeHome.load(result.homes[1]), logger: logger)
        try await node.driver.start()
        let budget = PeerGossipBudget(peer: 3, allowance: GossipAllowance(
            transactionsPerSecond: transactionsPerSecond, bytesPerSecond: 1 << 30, faultPenalty: NodeLimits.gossipFaultPenaltyTransactions))
        let clock = TestClock()
        let worker = node.makePeerWorker(for: 3, gossipBudget: budget, clock: { clock.nowMs })
        return (node, worker, budget, clock, result.faucetKey, "gossip-budget", { try? FileManager.default.removeItem(atPath: directory) })
    }

    private func frames(_ txs: [Transaction]) -> [PeerMessage] {
        TransactionGossip.frames(txs).map { PeerMessage(from: PeerID(3), bytes: $0) }
    }

    /// Waits (bounded) until the driver's mempool holds `count`, and returns what it holds.
    private func mempool(of node: LedgerNode, reaching count: Int) async throws -> Int {
        let deadline = Date().addingTimeInterval(10)
        var held = 0
        repeat {
            held = node.driver.mempool.count
            if held >= count { return held }
            try await Task.sleep(for: .milliseconds(10))
        } while Date() < deadline
        return held
    }

    func testAPeersGossipPastItsBudgetIsDroppedUndecodedAndCostsNoSignature() async throws {
        let t = try await makeWorker(transactionsPerSecond: 100)
        defer { t.cleanup() }
        let to = Address(publicKey: SigningKey.generate().publicKey)
        let txs = try (0..<300).map { try Transaction.signed(chainID: t.chainID, sender: t.faucet, recipient: to, amount: 1, nonce: UInt64($0)) }
        for f in frames(txs) { await t.worker.process(f) }
        let held = try await mempool(of: t.node, reaching: 100)
        XCTAssertEqual(held, 100, "the burst (one second at 100 tx/s), in order")
        var counts = t.budget.counts
        XCTAssertEqual(counts.received, 300)
        XCTAssertEqual(counts.overBudget, 200)
        XCTAssertEqual(counts.signatureChecks, 100)

        // Half a second later: 50 more are covered; the 100 already held are known and cost no signature.
        t.clock.advance(500)
        for f in frames(Array(txs[0..<150])) { await t.worker.process(f) }
        counts = t.budget.counts
        XCTAssertEqual(counts.overBudget, 300)
        XCTAssertEqual(counts.signatureChecks, 100, "known-valid hashes skip the signature check")
        XCTAssertTrue(counts.faults.isEmpty, "duplicates are not faults: an honest relay repeats gossip")
        let heldAfter = try await mempool(of: t.node, reaching: 100)
        XCTAssertEqual(heldAfter, 100)
    }

    func testTransactionsAnHonestSenderWouldHaveRefusedCostThePenaltyAndNoSignatureWhereTheMempoolRefuses() async throws {
        let t = try await makeWorker(transactionsPerSecond: 1_000)
        defer { t.cleanup() }
        let to = Address(publicKey: SigningKey.generate().publicKey)
        // Valid signatures from keys that never received anything: refused before the signature check.
        let strangers = try (0..<5).map { _ in
            try Transaction.signed(chainID: t.chainID, sender: SigningKey.generate(), recipient: to, amount: 1, nonce: 0)
        }
        for f in frames(strangers) { await t.worker.process(f) }
        var counts = t.budget.counts
        XCTAssertEqual(counts.faults[.unknownSender], 5)
        XCTAssertEqual(counts.signatureChecks, 0)
        XCTAssertEqual(t.budget.allowance.available.transactions, 1_000 - 5 * (1 + Int64(NodeLimits.gossipFaultPenaltyTransactions)))

        // A zero amount and a bad signature from a funded sender; a valid one next to them is admitted.
        let zero = try Transaction.signed(chainID: t.chainID, sender: t.faucet, recipient: to, amount: 0, nonce: 0)
        let good = try Transaction.signed(chainID: t.chainID, sender: t.faucet, recipient: to, amount: 5, nonce: 1)
        let forged = try Transaction.signed(chainID: t.chainID, sender: t.faucet, recipient: to, amount: 7, nonce: 2)
        var bytes = TransactionGossip.frames([zero, good, forged]).first!
        bytes[bytes.count - 1] ^= 0x01  // the last byte of the forged one's signature (it ends the frame)
        await t.worker.process(PeerMessage(from: PeerID(3), bytes: bytes))
        counts = t.budget.counts
        XCTAssertEqual(counts.faults[.zeroAmount], 1)
        XCTAssertEqual(counts.faults[.badSignature], 1)
        XCTAssertEqual(counts.signatureChecks, 2, "the good one and the forged one; the zero amount is refused before")
        let held = try await mempool(of: t.node, reaching: 1)
        XCTAssertEqual(held, 1)
        XCTAssertTrue(t.node.driver.mempool.contains(good.hash))

        // Garbage in place of a transaction is malformed.
        await t.worker.process(PeerMessage(from: PeerID(3), bytes: Envelope.wrap(.transaction, [1, 2, 3])))
        XCTAssertEqual(t.budget.counts.faults[.malformed], 1)
    }
}

/// A monotonic clock the test moves by hand (ms).
final class TestClock: Sendable {
    private let now = Mutex<UInt64>(1_000)
    var nowMs: UInt64 { now.withLock { $0 } }
    func advance(_ ms: UInt64) { now.withLock { $0 += ms } }
}
