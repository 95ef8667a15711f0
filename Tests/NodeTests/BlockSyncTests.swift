// Checks state-transfer wire messages and the verification of fetched blocks: round trips, hostile lengths, and certificates that must be refused.
import LedgerCore
import LedgerCrypto
import Node
import PBFT
import XCTest

final class BlockSyncTests: XCTestCase {
    private let keys = (0..<4).map { _ in SigningKey.generate() }
    private var scheme: Ed25519ValidatorKeys { Ed25519ValidatorKeys(publicKeys: keys.map(\.publicKey)) }

    private func certificate(for batch: Batch, at seq: UInt64, signers: [Int], chain: String = "c") -> CommitCertificate {
        let body = Commit(view: .zero, sequence: SequenceNumber(seq), digest: batch.digest)
        return CommitCertificate(view: .zero, sequence: SequenceNumber(seq), digest: batch.digest, commits: signers.map {
            Signed.make(body, signer: ReplicaID($0), using: Ed25519MessageSigner(key: keys[$0]), context: SigningContext(chainID: chain, epoch: 0))
        })
    }

    private func batch(_ t: UInt64) throws -> Batch {
        let tx = try Transaction.signed(chainID: "c", sender: keys[0], recipient: Address(publicKey: keys[1].publicKey),
                                        amount: 1, nonce: t)
        return Batch(view: .zero, timestamp: 1000 + t, transactions: [tx])
    }

    func testMessagesRoundTripAndHostileBytesAreRefused() throws {
        let request = BlockRequest(requestID: 9, from: Height(5), count: 17)
        XCTAssertEqual(try BlockRequest.decode(request.encoded()), request)
        XCTAssertThrowsError(try BlockRequest.decode(request.encoded() + [0]))
        let b = try batch(1)
        let response = BlockResponse(requestID: 9, from: Height(1), blocks: [(b.encoded(), certificate(for: b, at: 1, signers: [0, 1, 2]).encoded())])
        XCTAssertEqual(try BlockResponse.decode(response.encoded()), response)
        // A count or length far beyond the bytes sent is refused before allocating.
        var hostile = Array(response.encoded().prefix(16))
        hostile += [0xFF, 0xFF, 0xFF, 0xFF]
        XCTAssertThrowsError(try BlockResponse.decode(hostile))
        XCTAssertThrowsError(try BlockResponse.decode(Array(response.encoded().dropLast())))
        XCTAssertNil(Envelope.unwrap([]))
        XCTAssertNil(Envelope.unwrap([99, 1]))
        let (kind, body) = try XCTUnwrap(Envelope.unwrap(Envelope.wrap(.blockRequest, [7])))
        XCTAssertEqual(kind, .blockRequest)
        XCTAssertEqual(Array(body), [7])
    }

    func testFetchedBlocksNeedAQuorumCertificateForTheirOwnHeightAndDigest() throws {
        let b1 = try batch(1), b2 = try batch(2)
        func verify(_ blocks: [(Batch, CommitCertificate)], from: UInt64 = 1) -> Result<VerifiedRange, StateTransferFailure> {
            RangeVerifier.verify(
                BlockResponse(requestID: 1, from: Height(from), blocks: blocks.map { ($0.0.encoded(), $0.1.encoded()) }),
                trusted: nil, scheme: scheme, chainID: "c", replicaCount: 4)
        }
        if case let .failure(f) = verify([(b1, certificate(for: b1, at: 1, signers: [0, 1, 2])), (b2, certificate(for: b2, at: 2, signers: [1, 2, 3]))]) {
            XCTFail("valid blocks refused: \(f)")
        }
        let cases: [(String, [(Batch, CommitCertificate)])] = [
            ("only f + 1 signers", [(b1, certificate(for: b1, at: 1, signers: [0, 1]))]),
            ("a signer repeated", [(b1, certificate(for: b1, at: 1, signers: [0, 1, 1]))]),
            ("another chain's signatures", [(b1, certificate(for: b1, at: 1, signers: [0, 1, 2], chain: "d"))]),
            ("certificate for another batch", [(b1, certificate(for: b2, at: 1, signers: [0, 1, 2]))]),
            ("certificate for another height", [(b1, certificate(for: b1, at: 2, signers: [0, 1, 2]))]),
        ]
        for (name, blocks) in cases {
            if case .success = verify(blocks) { XCTFail("accepted: \(name)") }
        }
    }
}
