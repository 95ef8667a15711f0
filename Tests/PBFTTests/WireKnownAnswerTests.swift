// Checks PBFT's wire bytes against known answers written out by hand from the layout (big-endian integers, u16 replica
// ids and counts, u32 batch lengths, each signed body as epoch ‖ body ‖ signer ‖ signature), so changing the codec
// underneath cannot change a byte on the wire or in the log.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class WireKnownAnswerTests: XCTestCase {
    let digestBytes = [UInt8](repeating: 0x11, count: 32)
    let signatureBytes = [UInt8](repeating: 0x5A, count: 64)
    var digest: Digest { try! Digest(bytes: digestBytes) }
    var signature: Signature { try! Signature(bytes: signatureBytes) }

    func be64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) } }

    func testPrepareIsKindEpochBodySignerSignature() throws {
        let prepare = Signed(
            body: Prepare(view: View(0x0102_0304_0506_0708), sequence: SequenceNumber(9), digest: digest),
            epoch: 0x1112_1314_1516_1718, signer: ReplicaID(3), signature: signature)
        let expected: [UInt8] = [0x02] + [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]
            + [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08] + be64(9) + digestBytes + [0x00, 0x03] + signatureBytes
        let bytes = TMessage.prepare(prepare).encoded()
        XCTAssertEqual(bytes, expected)
        XCTAssertEqual(TMessage.prepare(prepare).encoded(prefix: 0xEE), [0xEE] + expected)
        XCTAssertEqual(try TMessage.decode(bytes, replicaCount: 4, window: 8), .prepare(prepare))
    }

    func testStatusWritesItsFlagAsOneByte() throws {
        let status = Signed(
            body: Status(view: View(4), isChangingView: true, lastExecuted: SequenceNumber(6), stableCheckpoint: SequenceNumber(4)),
            epoch: 2, signer: ReplicaID(1), signature: signature)
        let expected: [UInt8] = [0x07] + be64(2) + be64(4) + [0x01] + be64(6) + be64(4) + [0x00, 0x01] + signatureBytes
        XCTAssertEqual(TMessage.status(status).encoded(), expected)
        XCTAssertEqual(try TMessage.decode(expected, replicaCount: 4, window: 8), .status(status))
    }

    func testFetchedBatchCarriesAThirtyTwoBitLength() throws {
        let batch = TestBatch(view: View(2), timestampMilliseconds: 5, requests: [TestRequest(id: 7)])
        let batchBytes: [UInt8] = be64(2) + be64(5) + [0, 0, 0, 1] + be64(7)
        XCTAssertEqual(batch.encoded(), batchBytes)
        let expected: [UInt8] = [0x0A, 0, 0, 0, 28] + batchBytes
        XCTAssertEqual(TMessage.fetchedBatch(batch).encoded(), expected)
        XCTAssertEqual(try TMessage.decode(expected, replicaCount: 4, window: 8), .fetchedBatch(batch))
    }

    func testStandaloneCommitCertificate() throws {
        let commit = Signed(body: Commit(view: View(1), sequence: SequenceNumber(2), digest: digest), epoch: 5,
                            signer: ReplicaID(0), signature: signature)
        let certificate = CommitCertificate(view: View(1), sequence: SequenceNumber(2), digest: digest, commits: [commit])
        let expected: [UInt8] = be64(1) + be64(2) + digestBytes + [0x00, 0x01]
            + be64(5) + be64(1) + be64(2) + digestBytes + [0x00, 0x00] + signatureBytes
        XCTAssertEqual(certificate.encoded(), expected)
        XCTAssertEqual(try CommitCertificate.decode(expected, replicaCount: 4), certificate)
    }

    func testSigningBytesAreDomainChainEpochKindBody() {
        let body = Checkpoint(sequence: SequenceNumber(16), blockHash: digest)
        // "bft-ledger/pbft/v2" is 18 ASCII bytes; then the chain id behind a 1-byte length, the epoch, the type byte.
        let tag: [UInt8] = [0x62, 0x66, 0x74, 0x2D, 0x6C, 0x65, 0x64, 0x67, 0x65, 0x72, 0x2F, 0x70, 0x62, 0x66, 0x74, 0x2F, 0x76, 0x32]
        let expected: [UInt8] = tag + [0x01, 0x63] + [0, 0, 0, 0, 0, 0, 0, 0x07] + [0x04] + be64(16) + digestBytes
        XCTAssertEqual(body.signingBytes(SigningContext(chainID: "c", epoch: 7)), expected)
        XCTAssertEqual(expected.count, 18 + 2 + 8 + 1 + 8 + 32)
    }
}
