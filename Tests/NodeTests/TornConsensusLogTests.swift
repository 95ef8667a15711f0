// Checks torn consensus-log repair on a real process: a stopped node's log gets a torn copy of its last record and a garbage record appended on disk; on restart it truncates that tail, keeps a copy of the database, logs the repair, rejoins and commits.
import Foundation
import LedgerCore
import LedgerStore
import XCTest

final class TornConsensusLogTests: XCTestCase {
    func testATornLogTailIsTruncatedWithACopyKeptAndTheNodeRejoins() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<4))
        for _ in 0..<3 { try await net.submitTransfer(to: 0) }
        try await net.waitCommitted(Array(0..<4))
        try net.terminate(3)

        // Damage node 3's log on disk: a half-written copy of its last record, then bytes that are no record at all.
        let dataDirectory = net.result.homes[3] + "/data"
        let path = dataDirectory + "/ledger.sqlite"
        let original: [ConsensusLogRecord]
        do {
            let store = try LedgerStore.open(path: path, genesis: net.result.genesis)
            original = try store.loadConsensusLog()
            let last = try XCTUnwrap(original.last, "node 3 signed nothing")
            try store.appendConsensusLog([
                ConsensusLogRecord(view: last.view, sequenceNumber: last.sequenceNumber, kind: last.kind,
                                   bytes: Array(last.bytes.prefix(last.bytes.count / 2))),
                ConsensusLogRecord(view: last.view, sequenceNumber: last.sequenceNumber, kind: 3,
                                   bytes: Array(repeating: 0xEE, count: 57)),
            ])
            store.close()
        }

        try net.start(3)
        try await net.waitUntil("node 3 logs the repair", seconds: 20) {
            net.log(3).contains("repaired torn consensus log")
        }
        let line = try XCTUnwrap(net.log(3).split(separator: "\n").first { $0.contains("repaired torn consensus log") })
        XCTAssertTrue(line.contains("dropped=2"), "expected exactly the two damaged records to be cut: \(line)")

        // The copy is there and holds the damaged log as it was found.
        let copies = try FileManager.default.contentsOfDirectory(atPath: dataDirectory)
            .filter { $0.hasPrefix("consensus-log.torn-") && $0.hasSuffix(".sqlite") }
        let files = try FileManager.default.contentsOfDirectory(atPath: dataDirectory)
        XCTAssertEqual(copies.count, 1, "files in data/: \(files)")
        if let copy = copies.first {
            let kept = try LedgerStore.open(path: dataDirectory + "/" + copy, genesis: net.result.genesis)
            XCTAssertEqual(try kept.loadConsensusLog().count, original.count + 2)
            kept.close()
        }

        // It rejoins: new transfers commit on all four with the same blocks.
        try await net.waitConnected(Array(0..<4), seconds: 30)
        for _ in 0..<3 { try await net.submitTransfer(to: 1) }
        try await net.waitCommitted(Array(0..<4), seconds: 40)
        let h = min(try await net.height(3), try await net.height(0))
        let reference = try await net.hashes(0, upTo: h)
        let repaired = try await net.hashes(3, upTo: h)
        XCTAssertEqual(repaired, reference)
    }
}
