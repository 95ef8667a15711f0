// Checks that decoding validates public keys every time (valid keys remembered process-wide decode the same on a repeat; invalid ones are refused again with their field and offset).
import LedgerCore
import LedgerCrypto
import XCTest

final class KeyValidationDecodingTests: XCTestCase {
    func testRepeatedDecodingGivesTheSameValues() throws {
        var rng = SeededGenerator(seed: 5)
        let keys = (0..<5).map { _ in Fixtures.key(using: &rng) }
        let batch = Batch(view: View(2), timestamp: 9, transactions: (0..<10).map {
            Fixtures.transfer(from: keys[$0 % 5], to: keys[($0 + 1) % 5], amount: 1, nonce: UInt64($0))
        })
        for _ in 0..<3 {
            XCTAssertEqual(try Batch.decode(batch.encoded()), batch)
            for tx in batch.transactions { XCTAssertEqual(try Transaction.decode(tx.encoded()), tx) }
        }
    }

    func testInvalidKeysAreRefusedEveryTime() {
        let tx = Fixtures.transfer(from: Fixtures.key(1), to: Fixtures.key(2), amount: 1, nonce: 0)
        var bytes = tx.encoded()
        let senderAt = 2 + Fixtures.chainID.utf8.count
        bytes.replaceSubrange(senderAt..<(senderAt + 32), with: Fixtures.lowOrderKeyBytes)
        for _ in 0..<2 {
            XCTAssertEqual(
                thrownError { () throws(DecodingError) in try Transaction.decode(bytes) },
                .invalidPublicKey(field: "transaction.sender", offset: senderAt))
        }
        let batch = Batch(view: View(1), timestamp: 1, transactions: [tx, tx]).encoded()
        var badBatch = batch
        badBatch.replaceSubrange((21 + senderAt)..<(21 + senderAt + 32), with: Fixtures.invalidKeyBytes)
        for _ in 0..<2 {
            XCTAssertEqual(
                thrownError { () throws(DecodingError) in try Batch.decode(badBatch) },
                .invalidPublicKey(field: "batch.transactions[0].sender", offset: 21 + senderAt))
        }
        XCTAssertEqual(try Batch.decode(batch), Batch(view: View(1), timestamp: 1, transactions: [tx, tx]))
    }
}
