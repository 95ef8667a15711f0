// Checks that the bounds in Limits agree with each other and with the real encodings (largest/smallest objects measured, not assumed).
import LedgerCore
import LedgerCrypto
import XCTest

final class LimitsTests: XCTestCase {
    let key = Fixtures.key(1)

    func testTransactionBoundsMatchRealEncodings() throws {
        let smallest = try Transaction.signed(chainID: "a", sender: key, recipient: Fixtures.address(key), amount: 0, nonce: 0)
        XCTAssertEqual(smallest.encoded().count, Limits.transactionMinBytes)
        let largest = try Transaction.signed(
            chainID: String(repeating: "z", count: Limits.chainIDMaxBytes), sender: key, recipient: Fixtures.address(key),
            amount: .max, nonce: .max, memo: [UInt8](repeating: 0xff, count: Limits.memoMaxBytes))
        XCTAssertEqual(largest.encoded().count, Limits.transactionMaxBytes)
        XCTAssertLessThanOrEqual(Limits.chainIDMaxBytes, Int(UInt8.max), "chain id length is one byte")
        XCTAssertLessThanOrEqual(Limits.memoMaxBytes, Int(UInt16.max), "memo length is two bytes")
    }

    func testBatchAndBlockBoundsFitInAFrame() {
        XCTAssertGreaterThanOrEqual(Limits.batchMaxBytesHardCap, Limits.batchHeaderBytes + Limits.transactionMaxBytes)
        XCTAssertLessThanOrEqual(Limits.batchMaxBytesHardCap + Limits.p2pFrameOverheadBytes, Limits.p2pFrameMaxBytes)
        XCTAssertLessThanOrEqual(Limits.blockMaxBytes + Limits.p2pFrameOverheadBytes, Limits.p2pFrameMaxBytes)
        XCTAssertEqual(Batch.null.encoded().count, Limits.batchHeaderBytes)
        XCTAssertLessThanOrEqual(Limits.batchMaxTransactionsHardCap, Int(UInt32.max))
        // A commit certificate (one signature, id and digest per validator) fits in the reserved overhead.
        XCTAssertLessThan(Limits.validatorsMax * (Signature.byteCount + 4 + Digest.byteCount + 32), Limits.p2pFrameOverheadBytes)
    }

    func testHeaderAndReceiptBoundsMatchRealEncodings() {
        let header = BlockHeader(
            height: Height(.max), previousHash: .zero, batchDigest: .zero, view: View(.max), proposer: ReplicaID(99),
            timestamp: .max, txRoot: .zero, stateHash: .zero, txCount: .max)
        XCTAssertEqual(header.encoded().count, Limits.blockHeaderBytes)
        let receipt = Receipt(txHash: .zero, index: .max, status: .failed(.overflow(recipientBalance: .max, amount: .max)))
        XCTAssertEqual(receipt.encoded().count, Limits.receiptMaxBytes)
        XCTAssertEqual(Receipt(txHash: .zero, index: 0, status: .success).encoded().count, Receipt.minimumEncodedSize)
    }

    func testValidatorAndConsensusBoundsAreConsistent() throws {
        XCTAssertEqual(Limits.validatorsMin, 4)
        XCTAssertEqual(QuorumRule(Limits.validatorsMin)?.f, 1, "the fewest validators tolerate one fault")
        XCTAssertEqual(QuorumRule(Limits.validatorsMin - 1)?.f, 0, "and no fewer do")
        XCTAssertGreaterThanOrEqual(Limits.windowMax, 2 * Limits.checkpointIntervalMax)
        XCTAssertGreaterThan(Limits.viewChangeTimeoutMaxMs, Limits.batchDelayMaxMs)
        XCTAssertGreaterThanOrEqual(Limits.networkAddressMaxBytes, 253 + 1 + 5)
        XCTAssertNoThrow(try ConsensusParameters.testDefaults.validate())
        // The most accounts, each as a JSON entry (address, balance, punctuation), fit in the largest file.
        XCTAssertLessThan(Limits.genesisAccountsMax * (Limits.addressStringLength + 20 + 40), Limits.genesisFileMaxBytes)
    }

    func testAddressLengthMatchesRealAddresses() {
        XCTAssertEqual(Fixtures.address(key).string.utf8.count, Limits.addressStringLength)
        XCTAssertLessThanOrEqual(Limits.addressStringLength, 90, "bech32m strings are at most 90 characters")
    }
}
