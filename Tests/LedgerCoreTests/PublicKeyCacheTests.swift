// Checks that decoding through a PublicKeyCache gives the same values as without one, still refuses invalid keys, and stays within its capacity.
import LedgerCore
import LedgerCrypto
import XCTest

final class PublicKeyCacheTests: XCTestCase {
    func testCachedDecodingMatchesUncachedDecoding() throws {
        var rng = SeededGenerator(seed: 5)
        let keys = (0..<5).map { _ in Fixtures.key(using: &rng) }
        var cache = PublicKeyCache(capacity: 3)
        for i in 0..<40 {
            let tx = Fixtures.transfer(from: keys[i % 5], to: keys[(i * 3 + 1) % 5], amount: UInt64(i), nonce: UInt64(i))
            let bytes = tx.encoded()
            XCTAssertEqual(try Transaction.decode(bytes, keyCache: &cache), try Transaction.decode(bytes))
            XCTAssertLessThanOrEqual(cache.count, 3)
        }
        let batch = Batch(view: View(2), timestamp: 9, transactions: (0..<10).map {
            Fixtures.transfer(from: keys[$0 % 5], to: keys[($0 + 1) % 5], amount: 1, nonce: UInt64($0))
        })
        var big = PublicKeyCache()
        XCTAssertEqual(try Batch.decode(batch.encoded(), keyCache: &big), batch)
        XCTAssertEqual(big.count, 5)
        XCTAssertEqual(try Batch.decode(batch.encoded(), keyCache: &big), batch)
        XCTAssertEqual(big.count, 5)
    }

    func testInvalidKeysAreRefusedAndNotCached() {
        let tx = Fixtures.transfer(from: Fixtures.key(1), to: Fixtures.key(2), amount: 1, nonce: 0)
        var bytes = tx.encoded()
        let senderAt = 2 + Fixtures.chainID.utf8.count
        bytes.replaceSubrange(senderAt..<(senderAt + 32), with: Fixtures.lowOrderKeyBytes)
        var cache = PublicKeyCache()
        for _ in 0..<2 {
            XCTAssertEqual(
                thrownError { () throws(DecodingError) in try Transaction.decode(bytes, keyCache: &cache) },
                .invalidPublicKey(field: "transaction.sender", offset: senderAt))
        }
        XCTAssertEqual(cache.count, 0)
        let batch = Batch(view: View(1), timestamp: 1, transactions: [tx, tx]).encoded()
        var badBatch = batch
        badBatch.replaceSubrange((21 + senderAt)..<(21 + senderAt + 32), with: Fixtures.invalidKeyBytes)
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Batch.decode(badBatch) },
            .invalidPublicKey(field: "batch.transactions[0].sender", offset: 21 + senderAt))
    }
}
