// Checks a damaged consensus log on a real process: a stopped node's log gets a torn copy of its last record and a garbage record, followed by a readable record, on disk. On restart it drops exactly the two unreadable records (keeping a copy of the database), stores and reports a voting fence, withholds its votes while it follows the others' blocks, votes again once its stable checkpoint passes the fence, and ends with the same chain.
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import PBFT
import XCTest

final class DamagedConsensusLogTests: XCTestCase {
    func testUnreadableRecordsAreSetAsideAndTheNodeWithholdsVotesUntilTheFence() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<4))
        for _ in 0..<3 { try await net.submitTransfer(to: 0) }
        try await net.waitCommitted(Array(0..<4))
        try net.terminate(3)

        // Damage node 3's log on disk: a half-written copy of its last record and bytes that are
        // no record at all, then a readable record after them (so the damage is not only a tail).
        let dataDirectory = net.result.homes[3] + "/data"
        let path = dataDirectory + "/ledger.sqlite"
        let original: [ConsensusLogRecord]
        let executed: SequenceNumber
        do {
            let store = try LedgerStore.open(path: path, genesis: net.result.genesis)
            original = try store.loadConsensusLog()
            executed = try store.head().height
            let last = try XCTUnwrap(original.last, "node 3 signed nothing")
            try store.appendConsensusLog([
                ConsensusLogRecord(view: last.view, sequenceNumber: last.sequenceNumber, kind: last.kind,
                                   bytes: Array(last.bytes.prefix(last.bytes.count / 2))),
                ConsensusLogRecord(view: last.view, sequenceNumber: last.sequenceNumber, kind: 3,
                                   bytes: Array(repeating: 0xEE, count: 57)),
                ConsensusLogRecord(view: last.view, sequenceNumber: last.sequenceNumber, kind: last.kind, bytes: last.bytes),
            ])
            store.close()
        }
        let highest = try XCTUnwrap(original.map(\.sequenceNumber).filter { $0 != SequenceNumber(.max) }.max())
        let window = net.result.genesis.consensus.window
        let fence = RecoveredState<Batch>.votingFence(highestLoggedSequence: highest, lastExecuted: executed, window: window)

        try net.start(3)
        try await net.waitUntil("node 3 logs the unreadable records", seconds: 20) {
            net.log(3).contains("consensus log has unreadable records")
        }
        let line = try XCTUnwrap(net.log(3).split(separator: "\n").first { $0.contains("consensus log has unreadable records") })
        XCTAssertTrue(line.contains("dropped=2"), "expected exactly the two damaged records to be dropped: \(line)")
        XCTAssertTrue(line.contains("voting_fence=\(fence.rawValue)"), "expected the fence \(fence.rawValue): \(line)")
        XCTAssertTrue(line.contains(path), "the line names the file: \(line)")

        // The copy holds the damaged log as it was found; the log keeps the readable record after the damage.
        let files = try FileManager.default.contentsOfDirectory(atPath: dataDirectory)
        let copies = files.filter { $0.hasPrefix("consensus-log.damaged-") && $0.hasSuffix(".sqlite") }
        XCTAssertEqual(copies.count, 1, "files in data/: \(files)")
        if let copy = copies.first {
            let kept = try LedgerStore.open(path: dataDirectory + "/" + copy, genesis: net.result.genesis)
            XCTAssertEqual(try kept.loadConsensusLog().count, original.count + 3)
            kept.close()
        }

        // While behind the fence, status and /metrics say so.
        try await net.waitConnected(Array(0..<4), seconds: 30)
        let withheld = try await net.status(3)["votes_withheld_until"] as? String
        XCTAssertEqual(withheld, "\(fence.rawValue)")
        let metrics = try await net.get(3, "/metrics").body
        XCTAssertTrue(metrics.contains("ledger_consensus_votes_withheld_until \(fence.rawValue)"),
                      "metrics: \(metrics.split(separator: "\n").filter { $0.contains("withheld") })")

        // The others go on without it; it follows their blocks. Once the network's stable
        // checkpoint passes the fence, node 3 votes again.
        try await net.waitUntil("node 0 past the voting fence \(fence.rawValue)", seconds: 120) {
            for _ in 0..<3 { try await net.submitTransfer(to: 0) }
            return try await net.height(0) >= fence.rawValue + net.result.genesis.consensus.checkpointInterval
        }
        try await net.waitUntil("node 3 votes again", seconds: 60) {
            for _ in 0..<3 { try await net.submitTransfer(to: 1) }
            return net.log(3).contains("voting again")
        }
        let after = try await net.status(3)
        XCTAssertTrue(after["votes_withheld_until"] is NSNull, "status: \(after)")

        // Its votes now count: with node 2 stopped, nodes 0, 1 and 3 commit on their own.
        try net.terminate(2)
        for _ in 0..<3 { try await net.submitTransfer(to: 1) }
        try await net.waitCommitted([0, 1, 3], seconds: 40)
        let h = min(try await net.height(3), try await net.height(0))
        let reference = try await net.hashes(0, upTo: h)
        let repaired = try await net.hashes(3, upTo: h)
        XCTAssertEqual(repaired, reference)
    }
}
