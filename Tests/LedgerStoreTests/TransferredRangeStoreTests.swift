// Checks the catch-up write path against the per-block one: a transferred range stores the same blocks, transactions and final accounts, all or nothing, with the donor's checkpoint proof; and stored checkpoints are found by range for serving.
import XCTest
import LedgerCore
import LedgerCrypto
import LedgerStore

final class TransferredRangeStoreTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.cleanUp() }

    func testATransferredRangeStoresWhatPerBlockApplyStores() throws {
        var chain = ChainBuilder()
        let blocks = (0..<8).map { i in chain.next(txCount: i == 3 ? 0 : 4, failing: i == 5) }
        let perBlock = try LedgerStore.open(path: dir.path("a.db"), genesis: chain.genesis)
        for e in blocks { try perBlock.apply(e, certificate: certificate(for: e)) }
        let ranged = try LedgerStore.open(path: dir.path("b.db"), genesis: chain.genesis)
        let checkpoint = StoredCheckpoint(sequenceNumber: Height(8), blockHash: blocks[7].block.hash, proof: [1, 2, 3])
        XCTAssertEqual(try ranged.applyTransferredRange(
            Array(blocks[..<3]).map { ($0, certificate: Optional(certificate(for: $0))) }), 3)
        XCTAssertEqual(try ranged.applyTransferredRange(
            Array(blocks[3...]).map { ($0, certificate: Optional(certificate(for: $0))) }, checkpoint: checkpoint), 5)

        XCTAssertEqual(try ranged.head().hash, try perBlock.head().hash)
        for h in 1...8 {
            XCTAssertEqual(try ranged.block(at: Height(UInt64(h))), try perBlock.block(at: Height(UInt64(h))))
            XCTAssertEqual(try ranged.certificate(at: Height(UInt64(h))), try perBlock.certificate(at: Height(UInt64(h))))
        }
        let keys = chain.keys.map(\.publicKey)
        XCTAssertEqual(try ranged.accounts(for: keys), try perBlock.accounts(for: keys))
        XCTAssertEqual(try ranged.accounts(for: keys), AccountState(accounts: chain.state.sortedAccounts))
        for tx in blocks[4].block.transactions {
            XCTAssertEqual(try ranged.transaction(hash: tx.hash)?.transaction, tx)
        }
        XCTAssertEqual(try ranged.checkpoint(at: Height(8)), checkpoint)
        XCTAssertEqual(try ranged.rawBlocks(from: Height(1), count: 8, maxBytes: 1 << 20).map(\.batch),
                       try perBlock.rawBlocks(from: Height(1), count: 8, maxBytes: 1 << 20).map(\.batch))
    }

    func testARangeThatDoesNotChainIsRefusedWhole() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let good = (0..<4).map { _ in chain.next(txCount: 2) }
        var other = ChainBuilder(seed: 9)
        let foreign = other.next(txCount: 1)
        let cert = { (e: BlockExecution) in (e, certificate: Optional(certificate(for: e))) }
        // A foreign block in the middle, a gap, and a range that does not start at the head.
        XCTAssertThrowsError(try store.applyTransferredRange([cert(good[0]), cert(foreign), cert(good[2])]))
        XCTAssertThrowsError(try store.applyTransferredRange([cert(good[0]), cert(good[2])]))
        XCTAssertThrowsError(try store.applyTransferredRange([cert(good[1])]))
        XCTAssertEqual(try store.head().height, Height(0), "part of a refused range was kept")
        XCTAssertEqual(try store.applyTransferredRange(good.map(cert)), 4)
        XCTAssertEqual(try store.head().hash, good[3].block.hash)
        XCTAssertThrowsError(try store.applyTransferredRange([cert(good[3])]), "a stored height is not applied again")
    }

    func testCheckpointsAreFoundByRange() throws {
        let chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        XCTAssertNil(try store.latestCheckpoint(from: Height(1), through: Height(1_000)))
        for seq in [100, 200, 300] as [UInt64] {
            try store.saveCheckpoint(StoredCheckpoint(sequenceNumber: Height(seq), blockHash: Hash.blake2b256([UInt8(seq % 256)]),
                                                      proof: [UInt8(seq / 100)]))
        }
        XCTAssertEqual(try store.latestCheckpoint(from: Height(1), through: Height(299))?.sequenceNumber, Height(200))
        XCTAssertEqual(try store.latestCheckpoint(from: Height(201), through: Height(300))?.sequenceNumber, Height(300))
        XCTAssertNil(try store.latestCheckpoint(from: Height(301), through: Height(400)))
        XCTAssertNil(try store.latestCheckpoint(from: Height(101), through: Height(199)))
    }
}
