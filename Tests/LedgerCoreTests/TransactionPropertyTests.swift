// Property test over random transactions from a seeded generator: round trip, hash stability, valid signatures, and single-byte mutations breaking them.
import LedgerCore
import LedgerCrypto
import XCTest

final class TransactionPropertyTests: XCTestCase {
    static let seed: UInt64 = 0x1ed9_e12c_0de5

    func randomTransaction(_ rng: inout SeededGenerator, keys: [SigningKey]) -> Transaction {
        let sender = keys.randomElement(using: &rng)!
        let recipient = keys.randomElement(using: &rng)!
        let chainLength = Int.random(in: 1...Limits.chainIDMaxBytes, using: &rng)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789._-".utf8)
        var chain = [alphabet[Int.random(in: 0..<36, using: &rng)]]
        for _ in 1..<chainLength { chain.append(alphabet.randomElement(using: &rng)!) }
        let memoLength = Bool.random(using: &rng) ? 0 : Int.random(in: 0...Limits.memoMaxBytes, using: &rng)
        return try! Transaction.signed(
            chainID: String(decoding: chain, as: UTF8.self), sender: sender, recipient: Address(publicKey: recipient.publicKey),
            amount: rng.next(), nonce: rng.next() >> UInt64.random(in: 0...63, using: &rng), memo: rng.bytes(memoLength))
    }

    func testRandomTransactionsRoundTripVerifyAndResistMutation() throws {
        var rng = SeededGenerator(seed: Self.seed)
        let keys = (0..<8).map { _ in Fixtures.key(using: &rng) }
        for iteration in 0..<200 {
            let tx = randomTransaction(&rng, keys: keys)
            let context = "seed \(Self.seed) iteration \(iteration)"
            let bytes = tx.encoded()
            XCTAssertEqual(bytes.count, tx.encodedSize, context)
            XCTAssertLessThanOrEqual(bytes.count, Limits.transactionMaxBytes, context)
            XCTAssertGreaterThanOrEqual(bytes.count, Limits.transactionMinBytes, context)
            let decoded = try Transaction.decode(bytes)
            XCTAssertEqual(decoded, tx, context)
            // Equality compares hashes; check every field and the re-encoding too.
            XCTAssertEqual(decoded.chainID, tx.chainID, context)
            XCTAssertEqual(decoded.sender, tx.sender, context)
            XCTAssertEqual(decoded.recipient, tx.recipient, context)
            XCTAssertEqual(decoded.amount, tx.amount, context)
            XCTAssertEqual(decoded.nonce, tx.nonce, context)
            XCTAssertEqual(decoded.memo, tx.memo, context)
            XCTAssertEqual(decoded.signature, tx.signature, context)
            XCTAssertEqual(decoded.encoded(), bytes, context)
            XCTAssertEqual(decoded.hash, tx.hash, context)
            XCTAssertEqual(decoded.hash, Hash.blake2b256(bytes), context)
            XCTAssertTrue(decoded.hasValidSignature, context)

            // Any single-byte change of the signed bytes breaks the signature.
            var signing = tx.signingBytes()
            let position = Int.random(in: 0..<signing.count, using: &rng)
            signing[position] ^= UInt8.random(in: 1...255, using: &rng)
            XCTAssertFalse(tx.sender.isValidSignature(tx.signature, for: signing), "\(context) byte \(position)")

            // A single-byte change of the encoding either fails to decode or gives another
            // hash; if it still decodes, its signature is invalid.
            var mutated = bytes
            let at = Int.random(in: 0..<mutated.count, using: &rng)
            mutated[at] ^= UInt8.random(in: 1...255, using: &rng)
            if let other = try? Transaction.decode(mutated) {
                XCTAssertNotEqual(other.hash, tx.hash, context)
                XCTAssertFalse(other.hasValidSignature, "\(context) byte \(at)")
            }
        }
    }

    func testHashIsStableAcrossEncodeDecodeCycles() throws {
        var rng = SeededGenerator(seed: Self.seed ^ 1)
        let keys = (0..<4).map { _ in Fixtures.key(using: &rng) }
        var tx = randomTransaction(&rng, keys: keys)
        let hash = tx.hash
        for _ in 0..<5 { tx = try Transaction.decode(tx.encoded()) }
        XCTAssertEqual(tx.hash, hash)
    }
}
