// Checks the encodings of accounts, receipts, block headers and blocks: round trips, hashes, and refusal of malformed forms.
import LedgerCore
import LedgerCrypto
import XCTest

final class BlockEncodingTests: XCTestCase {
    let alice = Fixtures.key(1)
    let bob = Fixtures.key(2)

    func header(txCount: UInt32 = 0, proposer: Int = 2) -> BlockHeader {
        BlockHeader(
            height: Height(42), previousHash: Hash.blake2b256([1]), batchDigest: Hash.blake2b256([2]), view: View(7),
            proposer: ReplicaID(proposer), timestamp: 1_700_000_000_000, txRoot: Hash.blake2b256([3]),
            stateHash: Hash.blake2b256([4]), txCount: txCount)
    }

    func testAccountRoundTrip() throws {
        let account = Account(publicKey: alice.publicKey, balance: .max, nonce: 12)
        let bytes = account.encoded()
        XCTAssertEqual(bytes.count, Account.encodedSize)
        XCTAssertEqual(try Account.decode(bytes), account)
        var bad = bytes
        bad.replaceSubrange(1..<33, with: Fixtures.invalidKeyBytes)
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Account.decode(bad) },
            .invalidPublicKey(field: "account.publicKey", offset: 1))
        for cut in 0..<bytes.count {
            let e = thrownError { () throws(DecodingError) in try Account.decode(Array(bytes[..<cut])) }
            guard case .truncated = e else { return XCTFail("cut \(cut)") }
        }
    }

    func testReceiptRoundTripForEveryStatus() throws {
        let statuses: [ReceiptStatus] = [
            .success, .failed(.selfTransfer), .failed(.badNonce(expected: 3, got: 9)),
            .failed(.insufficientBalance(balance: 5, amount: 6)), .failed(.overflow(recipientBalance: .max, amount: 1)), .failed(.changeRefused(rule: 13, detail: 3)),
            .failed(.unknownSender), .failed(.zeroAmount),
        ]
        var encodings = Set<[UInt8]>()
        for (i, status) in statuses.enumerated() {
            let receipt = Receipt(txHash: Hash.blake2b256([UInt8(i)]), index: UInt32(i), status: status)
            let bytes = receipt.encoded()
            XCTAssertLessThanOrEqual(bytes.count, Limits.receiptMaxBytes)
            XCTAssertEqual(try Receipt.decode(bytes), receipt)
            encodings.insert(Array(bytes.dropFirst(37)))
            for cut in 0..<bytes.count {
                let e = thrownError { () throws(DecodingError) in try Receipt.decode(Array(bytes[..<cut])) }
                guard case .truncated = e else { return XCTFail("cut \(cut)") }
            }
        }
        XCTAssertEqual(encodings.count, statuses.count)
    }

    func testReceiptRefusesBadTags() {
        let ok = Receipt(txHash: .zero, index: 0, status: .failed(.selfTransfer)).encoded()
        var badStatus = ok
        badStatus[37] = 2
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Receipt.decode(badStatus) },
            .invalidTag(field: "receipt.status", offset: 37, found: 2, allowed: [0, 1]))
        var badReason = ok
        badReason[38] = 8
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Receipt.decode(badReason) },
            .invalidTag(field: "receipt.reason", offset: 38, found: 8, allowed: [1, 2, 3, 4, 5, 6, 7]))
        var zeroReason = ok
        zeroReason[38] = 0
        XCTAssertNotNil(thrownError { () throws(DecodingError) in try Receipt.decode(zeroReason) })
    }

    func testHeaderRoundTripAndHash() throws {
        let h = header(txCount: 3)
        let bytes = h.encoded()
        XCTAssertEqual(bytes.count, Limits.blockHeaderBytes)
        XCTAssertEqual(h.hash, Hash.blake2b256(bytes))
        let decoded = try BlockHeader.decode(bytes)
        XCTAssertEqual(decoded, h)
        XCTAssertEqual(decoded.encoded(), bytes)
        XCTAssertEqual(
            [decoded.height.rawValue, decoded.view.rawValue, decoded.timestamp, UInt64(decoded.txCount), UInt64(decoded.proposer.index)],
            [h.height.rawValue, h.view.rawValue, h.timestamp, UInt64(h.txCount), UInt64(h.proposer.index)])
        XCTAssertEqual([decoded.previousHash, decoded.batchDigest, decoded.txRoot, decoded.stateHash], [h.previousHash, h.batchDigest, h.txRoot, h.stateHash])
        XCTAssertEqual(decoded.hash, h.hash)
        XCTAssertNotEqual(header(txCount: 4).hash, h.hash)
        XCTAssertNotEqual(header(txCount: 3, proposer: 1).hash, h.hash)
    }

    func testHeaderRefusesOutOfRangeNumbers() {
        var bytes = header().encoded()
        bytes.replaceSubrange(81..<85, with: [0, 0, 0, 100])  // proposer 100
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try BlockHeader.decode(bytes) },
            .valueOutOfRange(field: "header.proposer", offset: 81, value: 100, maximum: 99))
        var count = header().encoded()
        count.replaceSubrange(157..<161, with: [0xff, 0xff, 0xff, 0xff])
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try BlockHeader.decode(count) },
            .valueOutOfRange(field: "header.txCount", offset: 157, value: UInt64(UInt32.max), maximum: UInt64(Limits.batchMaxTransactionsHardCap)))
    }

    func makeBlock() -> Block {
        let txs = [
            Fixtures.transfer(from: alice, to: bob, amount: 1, nonce: 0),
            Fixtures.transfer(from: bob, to: alice, amount: 2, nonce: 0, memo: [9]),
        ]
        let receipts = [
            Receipt(txHash: txs[0].hash, index: 0, status: .success),
            Receipt(txHash: txs[1].hash, index: 1, status: .failed(.insufficientBalance(balance: 0, amount: 2))),
        ]
        let h = BlockHeader(
            height: Height(1), previousHash: .zero, batchDigest: .zero, view: .zero, proposer: ReplicaID(0), timestamp: 1,
            txRoot: Merkle.root(txs.map(\.hash)), stateHash: .zero, txCount: 2)
        return Block(header: h, transactions: txs, receipts: receipts)
    }

    func testBlockRoundTripAndConsistency() throws {
        let block = makeBlock()
        XCTAssertTrue(block.isConsistent)
        let decoded = try Block.decode(block.encoded())
        XCTAssertEqual(decoded, block)
        XCTAssertEqual(decoded.encoded(), block.encoded())
        XCTAssertEqual(decoded.receipts, block.receipts)
        XCTAssertEqual(decoded.hash, block.header.hash)
        XCTAssertTrue(decoded.isConsistent)
        let wrongRoot = Block(
            header: BlockHeader(
                height: Height(1), previousHash: .zero, batchDigest: .zero, view: .zero, proposer: ReplicaID(0),
                timestamp: 1, txRoot: .zero, stateHash: .zero, txCount: 2),
            transactions: block.transactions, receipts: block.receipts)
        XCTAssertFalse(wrongRoot.isConsistent)
    }

    func testBlockRefusesMismatchedReceiptsAndTruncation() {
        let block = makeBlock()
        let swapped = Block(header: block.header, transactions: block.transactions, receipts: block.receipts.reversed())
        let error = thrownError { () throws(DecodingError) in try Block.decode(swapped.encoded()) }
        guard case .inconsistent(let field, _, _) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(field, "block.receipts[0]")
        let bytes = block.encoded()
        for cut in 0..<bytes.count {
            let e = thrownError { () throws(DecodingError) in try Block.decode(Array(bytes[..<cut])) }
            guard case .truncated = e else { return XCTFail("cut \(cut): \(String(describing: e))") }
        }
        XCTAssertEqual(
            thrownError { () throws(DecodingError) in try Block.decode(bytes + [0]) },
            .trailingBytes(offset: bytes.count, count: 1))
    }

    func testByteReaderRefusesNonCanonicalBools() {
        for (byte, expected) in [(UInt8(0), false), (1, true)] {
            XCTAssertEqual(try ByteReader.decode([byte]) { (r: inout ByteReader) throws(DecodingError) in try r.readBool("flag") }, expected)
        }
        for byte: UInt8 in [2, 0x80, 0xff] {
            XCTAssertEqual(
                thrownError { () throws(DecodingError) in
                    try ByteReader.decode([byte]) { (r: inout ByteReader) throws(DecodingError) in try r.readBool("flag") }
                },
                .invalidTag(field: "flag", offset: 0, found: byte, allowed: [0, 1]))
        }
    }
}
