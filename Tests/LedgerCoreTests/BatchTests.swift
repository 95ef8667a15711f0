// Checks batches: encoding round trip and malformed forms, the null batch, and every rule of Batch.validate (including skipping known-valid signatures).
import LedgerCore
import LedgerCrypto
import XCTest

final class BatchTests: XCTestCase {
    let keys = (1...4).map { Fixtures.key(UInt8($0)) }

    func transactions(_ count: Int) -> [Transaction] {
        (0..<count).map { i in
            Fixtures.transfer(from: keys[i % 4], to: keys[(i + 1) % 4], amount: UInt64(i + 1), nonce: UInt64(i / 4))
        }
    }

    func testRoundTripKeepsTransactionsAndDigest() throws {
        for count in [0, 1, 5] {
            let batch = Batch(view: View(3), timestamp: 1_700_000_000_123, transactions: transactions(count))
            let bytes = batch.encoded()
            XCTAssertEqual(bytes.count, batch.encodedSize)
            XCTAssertEqual(batch.digest, Hash.blake2b256(bytes))
            let decoded = try Batch.decode(bytes)
            XCTAssertEqual(decoded, batch)
            XCTAssertEqual(decoded.view, batch.view)
            XCTAssertEqual(decoded.timestamp, batch.timestamp)
            XCTAssertEqual(decoded.encoded(), bytes)
            XCTAssertEqual(decoded.digest, batch.digest)
            XCTAssertEqual(decoded.encodedSize, batch.encodedSize)
            XCTAssertEqual(decoded.transactions.map(\.hash), batch.transactions.map(\.hash))
        }
    }

    /// A batch read from the middle of a larger buffer keeps exactly its own bytes: what it
    /// re-encodes (for the wire and the consensus log) is its slice, not its neighbours'.
    func testBatchDecodedFromALargerBufferKeepsOnlyItsOwnBytes() throws {
        let first = Batch(view: View(2), timestamp: 7, transactions: transactions(3))
        let second = Batch(view: View(2), timestamp: 8, transactions: transactions(5))
        let joined = [0xAA] + first.encoded() + second.encoded() + [0xBB]
        let (a, b) = try ByteReader.decode(joined) { (r: inout ByteReader) throws(DecodingError) in
            _ = try r.readUInt8("lead")
            let a = try Batch.decode(from: &r)
            let b = try Batch.decode(from: &r)
            _ = try r.readUInt8("tail")
            return (a, b)
        }
        XCTAssertEqual(a.encoded(), first.encoded())
        XCTAssertEqual(b.encoded(), second.encoded())
        XCTAssertEqual(a.digest, first.digest)
        XCTAssertEqual(b.digest, second.digest)
        XCTAssertEqual(b.encodedSize, second.encodedSize)
        var w = ByteWriter(capacity: 0)
        a.encode(into: &w)
        b.encode(into: &w)
        XCTAssertEqual(w.bytes, Array(joined[1..<(joined.count - 1)]))
    }

    func testDigestDependsOnEveryField() {
        let txs = transactions(2)
        let base = Batch(view: View(1), timestamp: 10, transactions: txs)
        XCTAssertNotEqual(base.digest, Batch(view: View(2), timestamp: 10, transactions: txs).digest)
        XCTAssertNotEqual(base.digest, Batch(view: View(1), timestamp: 11, transactions: txs).digest)
        XCTAssertNotEqual(base.digest, Batch(view: View(1), timestamp: 10, transactions: txs.reversed()).digest)
        XCTAssertNotEqual(base.digest, Batch(view: View(1), timestamp: 10, transactions: Array(txs.prefix(1))).digest)
        XCTAssertEqual(base.digest, Batch(view: View(1), timestamp: 10, transactions: txs).digest)
    }

    func testNullBatch() throws {
        XCTAssertTrue(Batch.null.isNull)
        XCTAssertEqual(Batch.null.view, .zero)
        XCTAssertEqual(Batch.null.timestamp, 0)
        XCTAssertTrue(Batch.null.transactions.isEmpty)
        XCTAssertEqual(Batch.null.encoded(), [1] + [UInt8](repeating: 0, count: 20))
        XCTAssertTrue(try Batch.decode(Batch.null.encoded()).isNull)
        XCTAssertFalse(Batch(view: View(1), timestamp: 0, transactions: []).isNull)
        XCTAssertFalse(Batch(view: .zero, timestamp: 5, transactions: []).isNull)
    }

    func testMalformedBatchesAreRefused() {
        let good = Batch(view: View(1), timestamp: 99, transactions: transactions(2)).encoded()
        for cut in 0..<good.count {
            let error = thrownError { () throws(DecodingError) in try Batch.decode(Array(good[..<cut])) }
            guard case .truncated = error else { return XCTFail("cut \(cut): \(String(describing: error))") }
        }
        var badVersion = good
        badVersion[0] = 9
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Batch.decode(badVersion) },
            .unsupportedVersion(field: "batch", offset: 0, found: 9, supported: Batch.versionWithChange))
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Batch.decode(good + [7]) },
            .trailingBytes(offset: good.count, count: 1))
        // A count above the hard cap is refused before any allocation.
        var huge = Array(good[..<17])
        huge += [0xff, 0xff, 0xff, 0xff]
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Batch.decode(huge) },
            .lengthTooLarge(field: "batch.transactions", offset: 17, length: Int(UInt32.max), maximum: Limits.batchMaxTransactionsHardCap))
        // A count within the cap but more than the remaining bytes could hold.
        var lying = Array(good[..<17])
        lying += [0, 0, 0x10, 0]
        lying += [UInt8](repeating: 0, count: 100)
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Batch.decode(lying) },
            .truncated(field: "batch.transactions", offset: 21, needed: 4096 * Limits.transactionMinBytes, remaining: 100))
        // A bad transaction inside is reported with its index.
        var badTx = good
        badTx[21] = 3
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Batch.decode(badTx) },
            .unsupportedVersion(field: "batch.transactions[0]", offset: 21, found: 3, supported: 1))
    }

    func testValidateAcceptsAGoodBatch() {
        let batch = Batch(view: View(1), timestamp: 5, transactions: transactions(8))
        XCTAssertNoThrow(try batch.validate(chainID: Fixtures.chainID, limits: .hardCaps))
    }

    func testValidateRefusesEachBadProperty() throws {
        let txs = transactions(4)
        let limits = BatchLimits(maxTransactions: 4, maxBytes: 10_000)
        let tooMany = Batch(view: View(1), timestamp: 5, transactions: transactions(5))
        assertThrows(BatchError.tooManyTransactions(count: 5, maximum: 4)) { () throws(BatchError) in
            try tooMany.validate(chainID: Fixtures.chainID, limits: limits)
        }
        let ok = Batch(view: View(1), timestamp: 5, transactions: txs)
        let small = BatchLimits(maxTransactions: 4, maxBytes: ok.encodedSize - 1)
        assertThrows(BatchError.tooLarge(bytes: ok.encodedSize, maximum: ok.encodedSize - 1)) { () throws(BatchError) in
            try ok.validate(chainID: Fixtures.chainID, limits: small)
        }
        let foreign = Fixtures.transfer(from: keys[0], to: keys[1], amount: 1, nonce: 9, chainID: "other-chain")
        let wrongChain = Batch(view: View(1), timestamp: 5, transactions: [txs[0], foreign])
        assertThrows(
            BatchError.wrongChainID(index: 1, txHash: foreign.hash, expected: Fixtures.chainID, found: "other-chain")
        ) { () throws(BatchError) in try wrongChain.validate(chainID: Fixtures.chainID, limits: limits) }
        let duplicate = Batch(view: View(1), timestamp: 5, transactions: [txs[0], txs[1], txs[0]])
        assertThrows(BatchError.duplicateTransaction(index: 2, firstIndex: 0, txHash: txs[0].hash)) { () throws(BatchError) in
            try duplicate.validate(chainID: Fixtures.chainID, limits: limits)
        }
        let zero = Fixtures.transfer(from: keys[0], to: keys[1], amount: 0, nonce: 7)
        let zeroAmount = Batch(view: View(1), timestamp: 5, transactions: [txs[0], zero])
        assertThrows(BatchError.zeroAmount(index: 1, txHash: zero.hash)) { () throws(BatchError) in
            try zeroAmount.validate(chainID: Fixtures.chainID, limits: limits)
        }
        let variant = Fixtures.transfer(from: keys[0], to: keys[2], amount: txs[0].amount + 1, nonce: txs[0].nonce)
        XCTAssertEqual(variant.sender, txs[0].sender)
        let sameSlot = Batch(view: View(1), timestamp: 5, transactions: [txs[0], txs[1], variant])
        assertThrows(BatchError.duplicateSenderNonce(index: 2, firstIndex: 0, nonce: txs[0].nonce, txHash: variant.hash)) {
            () throws(BatchError) in try sameSlot.validate(chainID: Fixtures.chainID, limits: limits)
        }
        // Both are found before any signature is checked: a batch of them costs a backup no signature check.
        var checked = 0
        XCTAssertThrowsError(try sameSlot.validate(chainID: Fixtures.chainID, limits: limits, isKnownValid: { _ in checked += 1; return false }))
        XCTAssertEqual(checked, 0)
        let forged = try Transaction(
            chainID: Fixtures.chainID, sender: keys[2].publicKey, recipient: Fixtures.address(keys[0]), amount: 1_000_000,
            nonce: 0, signature: txs[0].signature)
        let badSignature = Batch(view: View(1), timestamp: 5, transactions: [txs[0], forged])
        assertThrows(BatchError.invalidSignature(index: 1, txHash: forged.hash)) { () throws(BatchError) in
            try badSignature.validate(chainID: Fixtures.chainID, limits: limits)
        }
    }

    func testKnownValidTransactionsSkipSignatureChecks() throws {
        let txs = transactions(2)
        let forged = try Transaction(
            chainID: Fixtures.chainID, sender: keys[2].publicKey, recipient: Fixtures.address(keys[0]), amount: 5,
            nonce: 0, signature: .zero)
        let batch = Batch(view: View(1), timestamp: 5, transactions: txs + [forged])
        var asked: [Digest] = []
        // The cache vouches for the forged one: validation trusts it (the cache is the node's responsibility).
        XCTAssertNoThrow(
            try batch.validate(chainID: Fixtures.chainID, limits: .hardCaps) { hash in
                asked.append(hash)
                return hash == forged.hash
            })
        XCTAssertEqual(asked, batch.transactions.map(\.hash))
        // Without the cache it is caught.
        XCTAssertThrowsError(try batch.validate(chainID: Fixtures.chainID, limits: .hardCaps))
    }

    func testAccountKeysListsEverySenderAndRecipientOnce() {
        let batch = Batch(view: View(1), timestamp: 5, transactions: transactions(8))
        XCTAssertEqual(batch.accountKeys, keys.map(\.publicKey).sorted())
        XCTAssertEqual(Batch.null.accountKeys, [])
        let one = Batch(view: View(1), timestamp: 5, transactions: [Fixtures.transfer(from: keys[0], to: keys[3], amount: 1, nonce: 0)])
        XCTAssertEqual(one.accountKeys, [keys[0].publicKey, keys[3].publicKey].sorted())
    }

    func testLimitsAreClampedToHardCaps() {
        let limits = BatchLimits(maxTransactions: 1_000_000, maxBytes: Int.max)
        XCTAssertEqual(limits.maxTransactions, Limits.batchMaxTransactionsHardCap)
        XCTAssertEqual(limits.maxBytes, Limits.batchMaxBytesHardCap)
    }
}
