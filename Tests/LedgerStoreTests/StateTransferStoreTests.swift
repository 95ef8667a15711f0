// Checks the state-transfer store paths against blocks from the real executor: raw block ranges rebuild the exact batch encodings, a range applies atomically (all or nothing), trusted decoding equals regular decoding, and unreadable consensus-log records are dropped with a copy kept and the voting fence stored.
import XCTest
import LedgerCore
import LedgerCrypto
import LedgerStore

final class StateTransferStoreTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.cleanUp() }

    func testRawBlocksAreTheCanonicalBatchEncodingsWithTheirCertificates() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        var batches: [[UInt8]] = []
        for i in 0..<6 {
            let e = chain.next(txCount: i == 2 ? 0 : 3, failing: i == 4)
            batches.append(Batch(view: e.block.header.view, timestamp: e.block.header.timestamp, transactions: e.block.transactions).encoded())
            try store.apply(e, certificate: certificate(for: e))
        }
        let raw = try store.rawBlocks(from: Height(2), count: 10, maxBytes: 1 << 20)
        XCTAssertEqual(raw.map(\.header.height.rawValue), [2, 3, 4, 5, 6])
        for r in raw {
            let e = chain.executions[Int(r.header.height.rawValue) - 1]
            XCTAssertEqual(r.batch, batches[Int(r.header.height.rawValue) - 1])
            XCTAssertEqual(Hash.blake2b256(r.batch), e.block.header.batchDigest)
            XCTAssertEqual(r.certificate, certificate(for: e))
        }
        // The byte limit stops early but always returns at least one block.
        XCTAssertEqual(try store.rawBlocks(from: Height(1), count: 6, maxBytes: 1).count, 1)
        XCTAssertEqual(try store.rawBlocks(from: Height(7), count: 6, maxBytes: 1 << 20).count, 0)
    }

    func testARangeAppliesAtomically() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let good = (0..<3).map { _ in chain.next(txCount: 2) }
        // A block that does not extend its predecessor: the whole range must be refused.
        var other = ChainBuilder(seed: 9)
        let foreign = other.next(txCount: 1)
        let range = (good + [foreign]).map { ($0, certificate: Optional(certificate(for: $0))) }
        XCTAssertThrowsError(try store.applyAtomically(range))
        XCTAssertEqual(try store.head().height, Height(0), "part of a refused range was kept")
        let outcomes = try store.applyAtomically(good.map { ($0, certificate: Optional(certificate(for: $0))) })
        XCTAssertEqual(outcomes, [.applied, .applied, .applied])
        XCTAssertEqual(try store.head().hash, good.last!.block.hash)
        XCTAssertEqual(try store.block(at: Height(2))?.transactions, good[1].block.transactions)
    }

    func testTrustedDecodingEqualsRegularDecoding() throws {
        var chain = ChainBuilder()
        let e = chain.next(txCount: 5, failing: true)
        let batch = Batch(view: e.block.header.view, timestamp: e.block.header.timestamp, transactions: e.block.transactions)
        let trusted = try TrustedDecoding.batch(batch.encoded())
        XCTAssertEqual(trusted.digest, batch.digest)
        XCTAssertEqual(trusted.transactions.map(\.hash), batch.transactions.map(\.hash))
        for tx in batch.transactions {
            XCTAssertEqual(try TrustedDecoding.transaction(tx.encoded()), try Transaction.decode(tx.encoded()))
        }
        // Format errors are still errors: truncated input and trailing bytes.
        XCTAssertThrowsError(try TrustedDecoding.batch(Array(batch.encoded().dropLast())))
        XCTAssertThrowsError(try TrustedDecoding.transaction(batch.transactions[0].encoded() + [0]))
    }

    func testDroppingUnreadableLogRecordsKeepsACopyAndRaisesTheVotingFence() throws {
        let chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        XCTAssertNil(try store.votingFence(), "a fresh store has no voting fence")
        let records = (0..<5).map { ConsensusLogRecord(view: View(0), sequenceNumber: SequenceNumber(UInt64($0)), kind: 2, bytes: [UInt8($0)]) }
        let ids = try store.appendConsensusLog(records)
        let copyPath = dir.path("copy.sqlite")
        // A record in the middle and the last one: only those go, the rest keep their order.
        XCTAssertEqual(try store.dropConsensusLogRecords(ids: [ids[1], ids[4]], keepingCopyAt: copyPath, votingFence: SequenceNumber(40)), 2)
        XCTAssertEqual(try store.loadConsensusLog().map(\.bytes), [[0], [2], [3]])
        XCTAssertEqual(try store.votingFence(), SequenceNumber(40))
        let copy = try LedgerStore.open(path: copyPath, genesis: chain.genesis)
        XCTAssertEqual(try copy.loadConsensusLog().map(\.bytes), [[0], [1], [2], [3], [4]])
        XCTAssertNil(try copy.votingFence(), "the copy is the log as it was found")
        copy.close()
        // An existing copy is never overwritten, and then nothing is dropped and the fence stays.
        XCTAssertThrowsError(try store.dropConsensusLogRecords(ids: [ids[0]], keepingCopyAt: copyPath, votingFence: SequenceNumber(90)))
        XCTAssertEqual(try store.loadConsensusLog().count, 3)
        XCTAssertEqual(try store.votingFence(), SequenceNumber(40))
        // A lower fence never lowers the stored one; it survives reopening.
        XCTAssertEqual(try store.dropConsensusLogRecords(ids: [ids[0]], keepingCopyAt: dir.path("copy2.sqlite"), votingFence: SequenceNumber(7)), 1)
        XCTAssertEqual(try store.votingFence(), SequenceNumber(40))
        store.close()
        let reopened = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        XCTAssertEqual(try reopened.votingFence(), SequenceNumber(40))
        XCTAssertEqual(try reopened.loadConsensusLog().map(\.bytes), [[2], [3]])
        reopened.close()
    }
}
