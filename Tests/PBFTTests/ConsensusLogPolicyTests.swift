// Checks the one rule for what the consensus log keeps (`ConsensusLogPolicy`), used by the node's store and the
// simulator's disk: later view-level records supersede earlier ones, a stable checkpoint supersedes what lies below
// it, appending one record at a time keeps exactly what `live` keeps of the whole log, and the storage kinds are fixed.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class ConsensusLogPolicyTests: XCTestCase {
    private let batch = TestBatch(view: View(1), timestampMilliseconds: 5, requests: [TestRequest(id: 1)])

    private func prepare(_ seq: UInt64) -> LogRecord<TestBatch> {
        .prepare(signed(Prepare(view: View(1), sequence: SequenceNumber(seq), digest: batch.digest), by: 1))
    }

    private func commit(_ seq: UInt64) -> LogRecord<TestBatch> {
        .commit(signed(Commit(view: View(1), sequence: SequenceNumber(seq), digest: batch.digest), by: 1))
    }

    private func proof(_ seq: UInt64) -> CheckpointProof {
        CheckpointProof(sequence: SequenceNumber(seq), blockHash: batch.digest, checkpoints: (0..<3).map {
            signed(Checkpoint(sequence: SequenceNumber(seq), blockHash: batch.digest), by: $0)
        })
    }

    private func viewChange(to view: UInt64) -> LogRecord<TestBatch> {
        .viewChange(signed(ViewChange(newView: View(view), stableCheckpoint: proof(0), preparedCertificates: []), by: 1), batches: [])
    }

    func testAStableCheckpointSupersedesRecordsBelowItButNotAtItOrViewLevelOnes() {
        let stable = LogRecord<TestBatch>.stableCheckpoint(proof(8))
        XCTAssertTrue(ConsensusLogPolicy.supersedes(stable, prepare(7)))
        XCTAssertFalse(ConsensusLogPolicy.supersedes(stable, prepare(8)), "the store prunes strictly below")
        XCTAssertFalse(ConsensusLogPolicy.supersedes(stable, prepare(9)))
        XCTAssertTrue(ConsensusLogPolicy.supersedes(stable, .stableCheckpoint(proof(4))))
        XCTAssertFalse(ConsensusLogPolicy.supersedes(stable, viewChange(to: 2)))
        XCTAssertTrue(ConsensusLogPolicy.supersedes(viewChange(to: 3), viewChange(to: 2)))
        XCTAssertFalse(ConsensusLogPolicy.supersedes(viewChange(to: 3), prepare(1)))
        XCTAssertFalse(ConsensusLogPolicy.supersedes(prepare(9), prepare(8)))
    }

    func testAppendingOneAtATimeKeepsWhatLiveKeepsOfTheWholeLog() {
        let log: [LogRecord<TestBatch>] = [
            prepare(1), commit(1), viewChange(to: 2), prepare(4), .stableCheckpoint(proof(4)), commit(5),
            viewChange(to: 3), prepare(2), .stableCheckpoint(proof(6)), commit(6), prepare(7),
        ]
        var disk: [LogRecord<TestBatch>] = []
        for r in log { ConsensusLogPolicy.append(r, to: &disk) }
        XCTAssertEqual(disk, ConsensusLogPolicy.live(log))
        XCTAssertEqual(disk, [viewChange(to: 3), .stableCheckpoint(proof(6)), commit(6), prepare(7)])
    }

    func testAFewHundredRandomLogsAgreeIncrementallyAndWhole() {
        var state: UInt64 = 0x5eed
        func draw(_ n: UInt64) -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (state >> 33) % n
        }
        for _ in 0..<300 {
            var log: [LogRecord<TestBatch>] = []
            for _ in 0..<Int(draw(30)) {
                switch draw(4) {
                case 0: log.append(prepare(draw(20)))
                case 1: log.append(commit(draw(20)))
                case 2: log.append(viewChange(to: 1 + draw(5)))
                default: log.append(.stableCheckpoint(proof(draw(20))))
                }
            }
            var disk: [LogRecord<TestBatch>] = []
            for r in log { ConsensusLogPolicy.append(r, to: &disk) }
            XCTAssertEqual(disk, ConsensusLogPolicy.live(log))
        }
    }

    func testStorageKindsAndSequencesAreFixed() {
        XCTAssertEqual(prepare(3).storageKind, 2)
        XCTAssertEqual(commit(3).storageKind, 3)
        XCTAssertEqual(LogRecord<TestBatch>.stableCheckpoint(proof(4)).storageKind, 7)
        XCTAssertEqual(viewChange(to: 2).storageKind, 5)
        XCTAssertEqual(prepare(3).storageSequence, SequenceNumber(3))
        XCTAssertEqual(viewChange(to: 2).storageSequence, SequenceNumber(.max))
    }
}
