// The primary's batching rules (`Replica.tryPropose`): an idle pipeline proposes at once, a batch
// that is not full waits while `partialBatchDepth` proposals are uncommitted, full batches never
// wait, and nothing is held past `maxBatchHoldMs`.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class BatchingTests: XCTestCase {
    /// The batches replica `i` proposed (its persisted PRE-PREPAREs), as request ids.
    func proposed(_ c: Cluster, by i: Int) -> [[UInt64]] {
        c.persisted[i].compactMap { if case let .prePrepare(_, b) = $0 { b.requests.map(\.id) } else { nil } }
    }

    func testIdlePrimaryProposesOneRequestAtOnce() {
        var c = Cluster()
        c.autoDeliver = false
        c.submit([1], to: [0])
        XCTAssertEqual(proposed(c, by: 0), [[1]], "no batch delay with nothing uncommitted")
    }

    func testPartialBatchWaitsForTheUncommittedOneAndThenTakesEverything() {
        var c = Cluster { $0.partialBatchDepth = 1 }
        c.autoDeliver = false
        c.submit([1], to: [0])
        c.submit([2], to: [0])
        c.advance(50)  // well past the 10 ms batch delay; the proposal of [1] is undelivered
        XCTAssertEqual(proposed(c, by: 0), [[1]], "depth 1: the second batch waits for the first to commit")
        c.submit([3], to: [0])
        c.deliverAll()  // [1] commits; the primary cuts [2, 3] at once
        XCTAssertEqual(proposed(c, by: 0), [[1], [2, 3]])
        for i in 0..<4 { XCTAssertEqual(c.committedIDs(i), [1, 2, 3], "replica \(i)") }
    }

    func testFullBatchesDoNotWaitForTheDepth() {
        var c = Cluster { $0.partialBatchDepth = 1 }
        c.autoDeliver = false
        c.submit([1], to: [0])
        c.submit([2, 3, 4, 5, 6], to: [0])  // maxBatchTxs is 2 in tests
        XCTAssertEqual(proposed(c, by: 0), [[1], [2, 3], [4, 5]], "full batches go out; [6] waits")
    }

    func testDeeperPipelineCutsAPartialBatchAfterTheDelay() {
        var c = Cluster { $0.partialBatchDepth = 2 }
        c.autoDeliver = false
        c.submit([1], to: [0])
        c.submit([2], to: [0])
        XCTAssertEqual(proposed(c, by: 0), [[1]], "inside the batch delay")
        c.advance(10)
        XCTAssertEqual(proposed(c, by: 0), [[1], [2]], "one uncommitted < depth 2: the delay cuts the batch")
        c.submit([3], to: [0])
        c.advance(10)
        XCTAssertEqual(proposed(c, by: 0), [[1], [2]], "two uncommitted: [3] waits")
    }

    func testNothingIsHeldPastTheHoldLimit() {
        var c = Cluster { $0.partialBatchDepth = 1 }
        c.autoDeliver = false
        let hold = c.replicas[0].configuration.maxBatchHoldMs
        XCTAssertEqual(ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(0), chainID: testChain).partialBatchDepth,
                       PBFTLimits.defaultPartialBatchDepth)
        XCTAssertEqual(hold, 150, "default: a quarter of the pace floor (600 ms), at least the batch delay")
        c.submit([1], to: [0])
        c.submit([2], to: [0])
        c.advance(hold - 1)
        XCTAssertEqual(proposed(c, by: 0), [[1]])
        c.advance(1)
        XCTAssertEqual(proposed(c, by: 0), [[1], [2]], "held for maxBatchHoldMs: proposed although [1] is uncommitted")
        c.deliverAll()
        for i in 0..<4 { XCTAssertEqual(c.committedIDs(i), [1, 2], "replica \(i)") }
    }

    func testTheHoldStaysInsideTheBackupsPaceBound() {
        var c = Cluster { $0.partialBatchDepth = 1 }
        c.submit([1])
        c.filter = { _, _, m in if case .commit = m { false } else { true } }  // [1] never commits
        c.submit([2])  // every replica holds [2]; the primary holds it for the uncommitted [1]
        // The first view's pace bound is the ceiling, 750 ms; the view-change timer is 1,000 ms.
        c.advance(900)
        XCTAssertEqual(proposed(c, by: 0), [[1], [2]])
        for i in 1..<4 {
            XCTAssertEqual(c.replicas[i].counters.viewChangesStarted, 0, "replica \(i) suspected an honest primary")
        }
    }

    func testConfigurationRefusesUnusableBatchingValues() {
        func check(_ change: (inout ReplicaConfiguration) -> Void, _ expected: String) {
            var config = testConfig(0)
            change(&config)
            XCTAssertThrowsError(try config.validate()) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
        check({ $0.partialBatchDepth = 0 }, "partialBatchDepth")
        check({ $0.partialBatchDepth = PBFTLimits.maxPartialBatchDepth + 1 }, "partialBatchDepth")
        check({ $0.maxBatchHoldMs = 5 }, "maxBatchHoldMs 5 must be at least batchDelayMs")
        check({ $0.maxBatchHoldMs = 600 }, "must be below proposalLatencyFloorMs")
        // Given at init, a hold at the pace floor is an error, not a reason to switch the pace check off.
        let explicit = ReplicaConfiguration(
            replicaCount: 4, replicaID: ReplicaID(0), chainID: testChain, batchDelayMs: 10, viewChangeTimeoutMs: 1_000,
            maxBatchHoldMs: 600)
        XCTAssertTrue(explicit.isPaceCheckEnabled)
        XCTAssertThrowsError(try explicit.validate()) { XCTAssertTrue("\($0)".contains("below proposalLatencyFloorMs"), "\($0)") }
        var fine = testConfig(0)
        fine.partialBatchDepth = 3
        fine.maxBatchHoldMs = 599
        XCTAssertNoThrow(try fine.validate())
    }
}

/// The depth rule holds a partial batch only once the pipeline carries a meaningful load: below an eighth of a batch
/// in flight, a request goes out at once (latency at light load is the message delays alone, issue 30).
final class LightPipelineTests: XCTestCase {
    func testALightPipelineProposesAtOnceAndAHeavyOneHolds() throws {
        var config = testConfig(0, window: 64)
        config.maxBatchTxs = 16  // light below 16 / 8 = 2 requests in flight
        config.batchDelayMs = 50
        var primary = try Replica<TestBatch>(configuration: config, signer: SimulatedSigner(replica: ReplicaID(0)))
        _ = primary.handle(.start(.genesis), now: 1_000)
        func proposals(_ actions: [Action<TestBatch>]) -> [Int] {
            actions.compactMap { if case let .broadcast(.prePrepare(_, b)) = $0 { b.requests.count } else { nil } }
        }
        XCTAssertEqual(proposals(primary.handle(.requests([TestRequest(id: 1)]), now: 1_000)), [1], "an idle pipeline proposes at once")
        XCTAssertEqual(proposals(primary.handle(.requests([TestRequest(id: 2)]), now: 1_001)), [1],
                       "one request in flight is a light pipeline: no wait for its commit")
        XCTAssertEqual(proposals(primary.handle(.requests([TestRequest(id: 3)]), now: 1_002)), [],
                       "two in flight (an eighth of a batch): the depth rule holds the next one")
        XCTAssertEqual(proposals(primary.handle(.timerFired(.batch), now: 1_002 + config.maxBatchHoldMs)), [1],
                       "held at most maxBatchHoldMs")
    }
}
