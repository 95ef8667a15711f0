// Checks the transaction wire format: round trips, the domain-separated signing bytes, and a table of every malformed form decoding must refuse.
import LedgerCore
import LedgerCrypto
import XCTest

final class TransactionEncodingTests: XCTestCase {
    let alice = Fixtures.key(1)
    let bob = Fixtures.key(2)

    func sample(memo: [UInt8] = Array("rent".utf8)) -> Transaction {
        Fixtures.transfer(from: alice, to: bob, amount: 1_000, nonce: 7, memo: memo)
    }

    func testRoundTripKeepsEveryFieldAndTheHash() throws {
        for memo in [[], [0], Array("rent".utf8), [UInt8](repeating: 0xab, count: Limits.memoMaxBytes)] {
            let tx = sample(memo: memo)
            let bytes = tx.encoded()
            XCTAssertEqual(bytes.count, tx.encodedSize)
            let decoded = try Transaction.decode(bytes)
            XCTAssertEqual(decoded, tx)
            XCTAssertEqual(decoded.hash, Hash.blake2b256(bytes))
            XCTAssertEqual(decoded.memo, memo)
            XCTAssertEqual(decoded.encoded(), bytes)
            XCTAssertTrue(decoded.hasValidSignature)
        }
    }

    func testLayoutMatchesTheDocumentedOffsets() {
        let tx = sample()
        let b = tx.encoded()
        let l = Fixtures.chainID.utf8.count
        XCTAssertEqual(b[0], 1)
        XCTAssertEqual(Int(b[1]), l)
        XCTAssertEqual(Array(b[2..<(2 + l)]), Array(Fixtures.chainID.utf8))
        XCTAssertEqual(Array(b[(2 + l)..<(34 + l)]), alice.publicKey.bytes)
        XCTAssertEqual(Array(b[(34 + l)..<(66 + l)]), bob.publicKey.bytes)
        XCTAssertEqual(Array(b[(66 + l)..<(74 + l)]), [0, 0, 0, 0, 0, 0, 0x03, 0xe8])
        XCTAssertEqual(Array(b[(74 + l)..<(82 + l)]), [0, 0, 0, 0, 0, 0, 0, 7])
        XCTAssertEqual(Array(b[(82 + l)..<(84 + l)]), [0, 4])
        XCTAssertEqual(Array(b[(84 + l)..<(88 + l)]), Array("rent".utf8))
        XCTAssertEqual(Array(b[(88 + l)...]), tx.signature.bytes)
    }

    func testSigningBytesAreTheDomainTagThenTheUnsignedEncoding() {
        let tx = sample()
        let signing = tx.signingBytes()
        XCTAssertEqual(Array(signing.prefix(13)), Array("ledger-tx-v1".utf8) + [0])
        XCTAssertEqual(Array(signing.dropFirst(13)), Array(tx.encoded().dropLast(64)))
        XCTAssertTrue(alice.publicKey.isValidSignature(tx.signature, for: signing))
        // Without the tag the same signature does not verify.
        XCTAssertFalse(alice.publicKey.isValidSignature(tx.signature, for: Array(signing.dropFirst(13))))
    }

    func testConstructionRefusesInvalidFields() {
        assertThrows(TransactionError.memoTooLong(count: 257, maximum: 256)) { () throws(TransactionError) in
            try Transaction.signed(
                chainID: Fixtures.chainID, sender: alice, recipient: Fixtures.address(bob), amount: 1, nonce: 0,
                memo: [UInt8](repeating: 0, count: 257))
        }
        for bad in ["", "Ledger", "-ledger", "ledger net", String(repeating: "a", count: 65), "lédger"] {
            XCTAssertThrowsError(
                try Transaction.signed(chainID: bad, sender: alice, recipient: Fixtures.address(bob), amount: 1, nonce: 0),
                bad)
        }
        XCTAssertNoThrow(
            try Transaction.signed(
                chainID: String(repeating: "a", count: 64), sender: alice, recipient: Fixtures.address(bob), amount: 1,
                nonce: 0))
    }

    func testTruncationAtEveryByteIsRefused() {
        let bytes = sample().encoded()
        for cut in 0..<bytes.count {
            let error = thrownError { () throws(DecodingError) in try Transaction.decode(Array(bytes[..<cut])) }
            guard case .truncated = error else {
                XCTFail("cut at \(cut): expected truncated, got \(String(describing: error))")
                continue
            }
        }
    }

    /// Each row: a name, a mutation of a valid encoding, and the error decoding must give.
    func testMalformedFormsAreRefusedWithTheRightError() {
        let tx = sample()
        let good = tx.encoded()
        let l = Fixtures.chainID.utf8.count
        let memoLengthAt = 82 + l
        func with(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var b = good
            change(&b)
            return b
        }
        let rows: [(String, [UInt8], DecodingError)] = [
            ("trailing byte", good + [0], .trailingBytes(offset: good.count, count: 1)),
            ("bad version", with { $0[0] = 2 }, .unsupportedVersion(field: "transaction", offset: 0, found: 2, supported: 1)),
            ("version 0", with { $0[0] = 0 }, .unsupportedVersion(field: "transaction", offset: 0, found: 0, supported: 1)),
            ("empty chain id", [1, 0] + Array(good[(2 + l)...]), .invalidChainID(offset: 1, reason: "chain id is empty")),
            ("overlong chain id length", with { $0[1] = 65 },
             .lengthTooLarge(field: "transaction.chainID", offset: 1, length: 65, maximum: 64)),
            ("uppercase chain id", with { $0[2] = UInt8(ascii: "L") },
             .invalidChainID(offset: 1, reason: "chain id must start with a lowercase letter or digit (byte 76 at position 0)")),
            ("non-UTF-8 chain id", with { $0[3] = 0xff },
             .invalidChainID(offset: 1, reason: "chain id may contain only a-z, 0-9, '.', '_' and '-' (byte 255 at position 1)")),
            ("invalid sender key", with { $0.replaceSubrange((2 + l)..<(34 + l), with: Fixtures.invalidKeyBytes) },
             .invalidPublicKey(field: "transaction.sender", offset: 2 + l)),
            ("low-order sender key", with { $0.replaceSubrange((2 + l)..<(34 + l), with: Fixtures.lowOrderKeyBytes) },
             .invalidPublicKey(field: "transaction.sender", offset: 2 + l)),
            ("invalid recipient key", with { $0.replaceSubrange((34 + l)..<(66 + l), with: Fixtures.invalidKeyBytes) },
             .invalidPublicKey(field: "transaction.recipient", offset: 34 + l)),
            ("overlong memo length", with { $0[memoLengthAt] = 1; $0[memoLengthAt + 1] = 1 },
             .lengthTooLarge(field: "transaction.memo", offset: memoLengthAt, length: 257, maximum: 256)),
            ("memo length 0xffff", with { $0[memoLengthAt] = 0xff; $0[memoLengthAt + 1] = 0xff },
             .lengthTooLarge(field: "transaction.memo", offset: memoLengthAt, length: 65535, maximum: 256)),
            ("memo length beyond the input", Array(good[..<memoLengthAt]) + [0, 200] + Array(repeating: 0, count: 10),
             .truncated(field: "transaction.memo", offset: memoLengthAt + 2, needed: 200, remaining: 10)),
        ]
        for (name, bytes, expected) in rows {
            let error = thrownError { () throws(DecodingError) in try Transaction.decode(bytes) }
            XCTAssertEqual(error, expected, name)
            XCTAssertFalse((error?.description ?? "").isEmpty, name)
        }
    }

    func testOversizedInputIsRefusedBeforeReading() {
        let bytes = [UInt8](repeating: 1, count: Limits.transactionMaxBytes + 1)
        assertThrows(DecodingError.inputTooLarge(what: "transaction", size: bytes.count, maximum: Limits.transactionMaxBytes)) {
            () throws(DecodingError) in try Transaction.decode(bytes)
        }
    }

    func testTamperedFieldsBreakTheSignature() throws {
        let tx = sample()
        let other = Fixtures.key(3)
        let changed: [Transaction] = [
            try Transaction(chainID: tx.chainID, sender: tx.sender, recipient: tx.recipient, amount: tx.amount + 1, nonce: tx.nonce, memo: tx.memo, signature: tx.signature),
            try Transaction(chainID: tx.chainID, sender: tx.sender, recipient: tx.recipient, amount: tx.amount, nonce: tx.nonce + 1, memo: tx.memo, signature: tx.signature),
            try Transaction(chainID: "ledger-mainnet", sender: tx.sender, recipient: tx.recipient, amount: tx.amount, nonce: tx.nonce, memo: tx.memo, signature: tx.signature),
            try Transaction(chainID: tx.chainID, sender: tx.sender, recipient: Fixtures.address(other), amount: tx.amount, nonce: tx.nonce, memo: tx.memo, signature: tx.signature),
            try Transaction(chainID: tx.chainID, sender: other.publicKey, recipient: tx.recipient, amount: tx.amount, nonce: tx.nonce, memo: tx.memo, signature: tx.signature),
            try Transaction(chainID: tx.chainID, sender: tx.sender, recipient: tx.recipient, amount: tx.amount, nonce: tx.nonce, memo: [], signature: tx.signature),
        ]
        for t in changed {
            XCTAssertFalse(t.hasValidSignature)
            XCTAssertNotEqual(t.hash, tx.hash)
        }
        let rebuilt = try Transaction(
            chainID: tx.chainID, sender: tx.sender, recipient: tx.recipient, amount: tx.amount, nonce: tx.nonce,
            memo: tx.memo, signature: tx.signature)
        XCTAssertEqual(rebuilt, tx)
        XCTAssertTrue(rebuilt.hasValidSignature)
    }
}
