// Checks the consensus log: append assigns increasing ids, load returns records in order, prune drops below a seq, reopen keeps it.
import XCTest
import LedgerCore
import LedgerStore

final class ConsensusLogTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.cleanUp() }

    func records(seqs: [UInt64], view: UInt64 = 1) -> [ConsensusLogRecord] {
        seqs.enumerated().map { i, seq in
            ConsensusLogRecord(
                view: View(view), sequenceNumber: SequenceNumber(seq), kind: UInt8(i % 3), bytes: [UInt8(i), 0xee] + Array(repeating: UInt8(seq & 0xff), count: i))
        }
    }

    func roundTrip(synchronous: StoreConfiguration.Synchronous) throws {
        let chain = ChainBuilder()
        let path = dir.path("log-\(synchronous.rawValue).db")
        let config = StoreConfiguration(synchronous: synchronous)
        let store = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: config)
        XCTAssertEqual(try store.loadConsensusLog(), [])

        let first = records(seqs: [5, 6, 7])
        let second = records(seqs: [7, 8, 9, 10], view: 2)
        let ids1 = try store.appendConsensusLog(first)
        let ids2 = try store.appendConsensusLog(second)
        XCTAssertEqual(ids1.count, 3)
        XCTAssertEqual(ids2.count, 4)
        let ids = ids1 + ids2
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertEqual(Set(ids).count, ids.count)

        let loaded = try store.loadConsensusLog()
        XCTAssertEqual(loaded.map(\.id), ids)
        XCTAssertEqual(loaded.map { var r = $0; r.id = nil; return r }, first + second)

        XCTAssertEqual(try store.pruneConsensusLog(below: SequenceNumber(8)), 4)
        let pruned = try store.loadConsensusLog()
        XCTAssertEqual(pruned.map(\.sequenceNumber.rawValue), [8, 9, 10])
        XCTAssertEqual(try store.pruneConsensusLog(below: SequenceNumber(8)), 0)

        store.close()
        let reopened = try LedgerStore.open(path: path, genesis: chain.genesis, configuration: config)
        XCTAssertEqual(try reopened.loadConsensusLog(), pruned)
        // Ids keep increasing after a reopen (AUTOINCREMENT never reuses them).
        let later = try reopened.appendConsensusLog(records(seqs: [11]))
        XCTAssertGreaterThan(later[0], ids.last!)
    }

    func testRoundTripWithFullSync() throws { try roundTrip(synchronous: .full) }

    func testRoundTripWithNormalSync() throws { try roundTrip(synchronous: .normal) }

    func testPruneHandlesSequenceNumbersAboveInt64Max() throws {
        let store = try LedgerStore.open(path: dir.path("log.db"), genesis: ChainBuilder().genesis)
        try store.appendConsensusLog(records(seqs: [1, UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max]))
        XCTAssertEqual(try store.loadConsensusLog().map(\.sequenceNumber.rawValue), [1, UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max])
        XCTAssertEqual(try store.pruneConsensusLog(below: SequenceNumber(UInt64(Int64.max) + 1)), 2)
        XCTAssertEqual(try store.loadConsensusLog().map(\.sequenceNumber.rawValue), [UInt64(Int64.max) + 1, UInt64.max])
        XCTAssertEqual(try store.pruneConsensusLog(below: SequenceNumber(UInt64.max)), 1)
        XCTAssertEqual(try store.loadConsensusLog().map(\.sequenceNumber.rawValue), [UInt64.max])
    }

    func testAppendIsBounded() throws {
        let store = try LedgerStore.open(path: dir.path("log.db"), genesis: ChainBuilder().genesis)
        let tooMany = Array(repeating: ConsensusLogRecord(view: View(0), sequenceNumber: SequenceNumber(1), kind: 0, bytes: []),
            count: StoreLimits.consensusLogAppendMax + 1)
        XCTAssertThrowsStoreError(
            .rangeTooLarge(requested: StoreLimits.consensusLogAppendMax + 1, maximum: StoreLimits.consensusLogAppendMax),
            try store.appendConsensusLog(tooMany))
        XCTAssertEqual(try store.appendConsensusLog([]), [])
        // Empty bytes survive as empty, not NULL.
        try store.appendConsensusLog([ConsensusLogRecord(view: View(0), sequenceNumber: SequenceNumber(1), kind: 255, bytes: [])])
        XCTAssertEqual(try store.loadConsensusLog().first?.bytes, [])
        XCTAssertEqual(try store.loadConsensusLog().first?.kind, 255)
    }
}
