// Feeds each checker a hand-made history: a violating one must be reported, a clean one must not.
import LedgerCore
import LedgerCrypto
import PBFT
import XCTest
@testable import Simulation

final class CheckerTests: XCTestCase {
    private func digest(_ label: String) -> Digest { Hash.blake2b256(Array(label.utf8)) }
    private let t = VirtualTime(milliseconds: 100)

    // MARK: Requests

    /// A replica that caught up by state transfer, not told which requests the fetched blocks committed, waits for
    /// them for ever: the end-of-run check names it (50 commits: longer, the replica becomes primary and proposes
    /// one of them again, which the exactly-once check below reports first). Told, nothing is left pending.
    func testARequestCommittedButStillPendingIsReported() {
        var silent = SimulationParameters()
        silent.reportsTransferredRequests = false
        let scenario = Scenario(seed: 2, strategy: .selectiveGossip, faults: .network, targetCommits: 50)
        let broken = Simulator.run(scenario, parameters: silent)
        XCTAssertTrue(broken.violations.contains { $0.property == .contract && $0.detail.contains("pending although its ledger committed it") },
                      broken.summary)
        let told = Simulator.run(scenario)
        XCTAssertTrue(told.passed, told.failureReport)
    }

    /// The exactly-once check: a primary not told which requests a state transfer committed proposes them again.
    /// Told (as the node tells it, before `stateTransferred`), no request commits twice.
    func testARequestCommittedTwiceByAnHonestPrimaryIsReported() {
        var silent = SimulationParameters()
        silent.reportsTransferredRequests = false
        let scenarios = (UInt64(1)...12).map { Scenario(seed: $0, faults: .crashes, targetCommits: 200) }
        let twice = scenarios.map { Simulator.run($0, parameters: silent) }
            .filter { $0.violations.contains { $0.property == .validity && $0.detail.contains("committed at heights") } }
        XCTAssertFalse(twice.isEmpty, "no seed of 1...12 showed a request committed twice without the report")
        for scenario in scenarios.prefix(4) {
            let told = Simulator.run(scenario)
            XCTAssertTrue(told.passed, told.failureReport)
        }
    }

    // MARK: Safety

    func testAgreementViolationIsReported() {
        var checker = SafetyChecker()
        checker.recordCommit(replica: ReplicaID(1), seq: SequenceNumber(5), digest: digest("a"), at: t)
        checker.recordCommit(replica: ReplicaID(2), seq: SequenceNumber(5), digest: digest("a"), at: t)
        XCTAssertTrue(checker.violations.isEmpty)
        checker.recordCommit(replica: ReplicaID(3), seq: SequenceNumber(5), digest: digest("b"), at: t)
        XCTAssertEqual(checker.violations.map(\.property), [.agreement])
    }

    func testDifferentSequenceNumbersMayHaveDifferentDigests() {
        var checker = SafetyChecker()
        checker.recordCommit(replica: ReplicaID(1), seq: SequenceNumber(5), digest: digest("a"), at: t)
        checker.recordCommit(replica: ReplicaID(1), seq: SequenceNumber(6), digest: digest("b"), at: t)
        XCTAssertTrue(checker.violations.isEmpty)
    }

    func testStateDivergenceIsReported() {
        var checker = SafetyChecker()
        checker.recordExecuted(replica: ReplicaID(0), height: Height(3), hash: digest("x"), at: t)
        checker.recordExecuted(replica: ReplicaID(1), height: Height(3), hash: digest("y"), at: t)
        XCTAssertEqual(checker.violations.map(\.property), [.stateDivergence])
    }

    func testInvalidCommittedTransactionIsReported() {
        var checker = SafetyChecker()
        checker.recordInvalidCommittedTransaction(
            replica: ReplicaID(0), seq: SequenceNumber(1), transaction: digest("tx"), reason: "bad signature", at: t)
        XCTAssertEqual(checker.violations.map(\.property), [.validity])
    }

    func testHonestEquivocationIsReportedButRepeatsAreNot() {
        var checker = SafetyChecker()
        let r = ReplicaID(2)
        checker.recordSigned(replica: r, kind: .prepare, view: View(1), seq: SequenceNumber(4), digest: digest("a"), at: t)
        checker.recordSigned(replica: r, kind: .prepare, view: View(1), seq: SequenceNumber(4), digest: digest("a"), at: t)
        checker.recordSigned(replica: r, kind: .prepare, view: View(2), seq: SequenceNumber(4), digest: digest("b"), at: t)
        XCTAssertTrue(checker.violations.isEmpty, "a retransmission or a new view is not equivocation")
        checker.recordSigned(replica: r, kind: .prepare, view: View(1), seq: SequenceNumber(4), digest: digest("c"), at: t)
        XCTAssertEqual(checker.violations.map(\.property), [.honestEquivocation])
    }

    func testCheckpointEquivocationIgnoresView() {
        var checker = SafetyChecker()
        checker.recordSigned(replica: ReplicaID(0), kind: .checkpoint, view: View(0), seq: SequenceNumber(8), digest: digest("h1"), at: t)
        checker.recordSigned(replica: ReplicaID(0), kind: .checkpoint, view: View(3), seq: SequenceNumber(8), digest: digest("h2"), at: t)
        XCTAssertEqual(checker.violations.map(\.property), [.honestEquivocation])
    }

    // MARK: Liveness

    func testLateCommitIsReported() {
        var checker = LivenessChecker(gst: VirtualTime(milliseconds: 1_000), boundMs: 500)
        checker.recordSubmitted(digest("early"), at: VirtualTime(milliseconds: 10))
        checker.recordSubmitted(digest("late"), at: VirtualTime(milliseconds: 2_000))
        // Submitted before GST: the deadline counts from GST (1,000 + 500).
        XCTAssertNil(checker.recordCommitted(digest("early"), at: VirtualTime(milliseconds: 1_400)))
        let v = checker.recordCommitted(digest("late"), at: VirtualTime(milliseconds: 2_600))
        XCTAssertEqual(v?.property, .liveness)
    }

    func testOverdueTransactionsAreReported() {
        var checker = LivenessChecker(gst: .zero, boundMs: 100)
        checker.recordSubmitted(digest("a"), at: VirtualTime(milliseconds: 50))
        XCTAssertTrue(checker.overdue(at: VirtualTime(milliseconds: 150)).isEmpty, "deadline not passed yet")
        XCTAssertEqual(checker.overdue(at: VirtualTime(milliseconds: 151)).map(\.property), [.liveness])
        _ = checker.recordCommitted(digest("a"), at: VirtualTime(milliseconds: 151))
        XCTAssertTrue(checker.overdue(at: VirtualTime(milliseconds: 10_000)).isEmpty)
    }

    // MARK: Memory

    func testEntryAtLowWatermarkIsReported() {
        var checker = MemoryChecker(maxEntries: 32)
        checker.observe(replica: ReplicaID(0), lowWatermark: SequenceNumber(16), lowestEntry: SequenceNumber(17), entryCount: 3, at: t)
        XCTAssertTrue(checker.violations.isEmpty)
        checker.observe(replica: ReplicaID(0), lowWatermark: SequenceNumber(16), lowestEntry: SequenceNumber(16), entryCount: 3, at: t)
        XCTAssertEqual(checker.violations.map(\.property), [.boundedMemory])
    }

    func testLogLargerThanWindowIsReported() {
        var checker = MemoryChecker(maxEntries: 32)
        checker.observe(replica: ReplicaID(1), lowWatermark: .zero, lowestEntry: nil, entryCount: 32, at: t)
        XCTAssertTrue(checker.violations.isEmpty)
        checker.observe(replica: ReplicaID(1), lowWatermark: .zero, lowestEntry: nil, entryCount: 33, at: t)
        XCTAssertEqual(checker.violations.map(\.property), [.boundedMemory])
    }

    func testTooManyCheckpointVoteSlotsIsReported() {
        var checker = MemoryChecker(maxEntries: 32)
        checker.observe(replica: ReplicaID(1), lowWatermark: .zero, lowestEntry: nil, entryCount: 1,
                        checkpointVoteSlots: 7, maxCheckpointVoteSlots: 6, at: t)
        XCTAssertEqual(checker.violations.map(\.property), [.boundedMemory])
    }
}

extension CheckerTests {
    // MARK: Replica invariants

    func testBrokenReplicaInvariantIsReported() {
        var checker = InvariantChecker()
        checker.observe(replica: ReplicaID(2), broken: [], at: VirtualTime(milliseconds: 5))
        XCTAssertTrue(checker.violations.isEmpty)
        let broken = InvariantViolation(invariant: "execution.order", detail: "last executed 9 is above last committed 6")
        checker.observe(replica: ReplicaID(2), broken: [broken], at: VirtualTime(milliseconds: 7))
        XCTAssertEqual(checker.violations.map(\.property), [.invariant])
        XCTAssertTrue(checker.violations[0].detail.contains("execution.order: last executed 9"), checker.violations[0].detail)
    }
}
