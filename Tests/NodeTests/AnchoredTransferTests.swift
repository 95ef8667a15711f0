// Checks how state transfer authenticates fetched ranges: a checkpoint proof or the target anchors a range by the hash chain (a forged block under it is refused once executed), blocks the anchor does not cover need their own certificates, and garbage from a donor is refused and that donor skipped.
import LedgerCore
import LedgerCrypto
@testable import Node
import PBFT
import XCTest

final class AnchoredTransferTests: XCTestCase {
    private let chainID = "c"
    private let validators = (0..<4).map { _ in SigningKey.generate() }
    private let users = (0..<3).map { _ in SigningKey.generate() }
    private var scheme: Ed25519ValidatorKeys { Ed25519ValidatorKeys(publicKeys: validators.map(\.publicKey)) }
    private var genesisAccounts: AccountState {
        AccountState(accounts: users.map { Account(publicKey: $0.publicKey, balance: 1_000_000, nonce: 0) })
    }
    private var membership: Membership {
        Membership(epoch: 0, validators: validators.enumerated().map {
            Validator(id: ReplicaID($0.offset), publicKey: $0.element.publicKey, p2pAddress: "v\($0.offset):1")
        }, firstHeight: Height(1), pending: nil)
    }
    private let rules = ChangeRules(chainID: "c", parameters: .testDefaults)
    private let genesisHeader = BlockHeader(
        height: .zero, previousHash: .zero, batchDigest: .zero, view: .zero, proposer: ReplicaID(0), timestamp: 0,
        txRoot: .zero, stateHash: .zero, txCount: 0)

    /// Six honest blocks: batches, their headers' hashes and valid certificates.
    private struct Chain {
        var batches: [Batch] = []
        var hashes: [Digest] = []
        var certificates: [CommitCertificate] = []
    }

    private func batch(_ t: UInt64, amount: UInt64 = 1) throws -> Batch {
        let from = users[Int(t) % users.count], to = users[(Int(t) + 1) % users.count]
        let tx = try Transaction.signed(chainID: chainID, sender: from, recipient: Address(publicKey: to.publicKey),
                                        amount: amount, nonce: (t - 1) / UInt64(users.count))
        return Batch(view: .zero, timestamp: 1000 + t, transactions: [tx])
    }

    private func certificate(for batch: Batch, at seq: UInt64, keys: [SigningKey]? = nil) -> CommitCertificate {
        let body = Commit(view: .zero, sequence: SequenceNumber(seq), digest: batch.digest)
        let signing = keys ?? validators
        return CommitCertificate(view: .zero, sequence: SequenceNumber(seq), digest: batch.digest, commits: [0, 1, 2].map {
            Signed.make(body, signer: ReplicaID($0), using: Ed25519MessageSigner(key: signing[$0]), context: SigningContext(chainID: chainID, epoch: 0))
        })
    }

    private func proof(at seq: UInt64, hash: Digest, keys: [SigningKey]? = nil) -> CheckpointProof {
        let signing = keys ?? validators
        let body = Checkpoint(sequence: SequenceNumber(seq), blockHash: hash)
        return CheckpointProof(sequence: SequenceNumber(seq), blockHash: hash, checkpoints: [0, 1, 2].map {
            Signed.make(body, signer: ReplicaID($0), using: Ed25519MessageSigner(key: signing[$0]), context: SigningContext(chainID: chainID, epoch: 0))
        })
    }

    private func chain(_ count: Int = 6) throws -> Chain {
        var c = Chain()
        var state = genesisAccounts
        var header = genesisHeader
        for t in 1...UInt64(count) {
            let b = try batch(t)
            let e = StateTransition.execute(batch: b, previous: header, proposer: ReplicaID(0), accounts: state,
                                           membership: membership, rules: rules)
            state.apply(e)
            header = e.block.header
            c.batches.append(b)
            c.hashes.append(header.hash)
            c.certificates.append(certificate(for: b, at: t))
        }
        return c
    }

    private func response(_ batches: [Batch], _ certificates: [CommitCertificate], proof: CheckpointProof? = nil) -> BlockResponse {
        BlockResponse(requestID: 1, from: Height(1), blocks: zip(batches, certificates).map { ($0.encoded(), $1.encoded()) },
                      checkpoint: proof?.encoded())
    }

    private func verify(_ r: BlockResponse, trusted: TransferAnchor? = nil) -> Result<VerifiedRange, StateTransferFailure> {
        RangeVerifier.verify(r, trusted: trusted, scheme: scheme, chainID: chainID, replicaCount: 4)
    }

    private func execute(_ range: VerifiedRange) -> Result<[(BlockExecution, certificate: [UInt8]?)], StateTransferFailure> {
        RangeVerifier.execute(range, on: genesisHeader, accounts: genesisAccounts, membership: membership, rules: rules)
    }

    func testACheckpointProofAnchorsTheRangeWithoutTheBlocksSignatures() throws {
        let c = try chain()
        let range = try verify(response(c.batches, c.certificates, proof: proof(at: 6, hash: c.hashes[5]))).get()
        XCTAssertEqual(range.anchor, TransferAnchor(height: Height(6), blockHash: c.hashes[5], source: .checkpointProof))
        XCTAssertEqual(range.signaturesChecked, 3, "only the proof's signatures are checked")
        XCTAssertEqual(try execute(range).get().map(\.0.block.hash), c.hashes)
        XCTAssertNotNil(range.proof, "the verified proof is kept to be stored and served again")
    }

    func testAForgedBlockInsideAnAnchoredRangeIsRefused() throws {
        let c = try chain()
        // A Byzantine donor swaps block 3 for another batch with a well-formed certificate whose
        // signatures are not the validators'. The certificate passes the structural check, but
        // executing the range cannot reach the checkpointed hash.
        let forged = try batch(3, amount: 500)
        var batches = c.batches, certificates = c.certificates
        batches[2] = forged
        certificates[2] = certificate(for: forged, at: 3, keys: (0..<4).map { _ in SigningKey.generate() })
        let anchored = response(batches, certificates, proof: proof(at: 6, hash: c.hashes[5]))
        let range = try verify(anchored).get()
        guard case let .failure(f) = execute(range) else { return XCTFail("a forged block under a checkpoint was accepted") }
        XCTAssertEqual(f, .anchorMismatch(from: 1, anchor: 6), "\(f)")
        // The same with the target as anchor (no proof needed), and with blocks merely reordered.
        let targeted = try verify(response(batches, certificates),
                                  trusted: TransferAnchor(height: Height(6), blockHash: c.hashes[5], source: .target)).get()
        XCTAssertEqual(targeted.signaturesChecked, 0)
        if case .success = execute(targeted) { XCTFail("a forged block under the target was accepted") }
        // A proof whose signatures are not the validators', or that lies outside the range, is refused.
        let strangers = (0..<4).map { _ in SigningKey.generate() }
        if case .success = verify(response(c.batches, c.certificates, proof: proof(at: 6, hash: c.hashes[5], keys: strangers))) {
            XCTFail("a proof with foreign signatures was accepted")
        }
        if case .success = verify(response(c.batches, c.certificates, proof: proof(at: 7, hash: c.hashes[5]))) {
            XCTFail("a proof above the served heights was accepted")
        }
    }

    func testARangeWhoseTopIsNotCoveredIsVerifiedByItsCertificates() throws {
        let c = try chain()
        let strangers = (0..<4).map { _ in SigningKey.generate() }
        // No anchor at all: every certificate's signatures are checked.
        let plain = try verify(response(c.batches, c.certificates)).get()
        XCTAssertNil(plain.anchor)
        XCTAssertEqual(plain.signaturesChecked, 18)
        XCTAssertEqual(try execute(plain).get().map(\.0.block.hash), c.hashes)
        var badTop = c.certificates
        badTop[5] = certificate(for: c.batches[5], at: 6, keys: strangers)
        if case .success = verify(response(c.batches, badTop)) { XCTFail("a bad certificate without an anchor was accepted") }
        // A proof at 4 covers blocks 1...4; blocks 5 and 6 still need valid certificates.
        let partial = try verify(response(c.batches, c.certificates, proof: proof(at: 4, hash: c.hashes[3]))).get()
        XCTAssertEqual(partial.anchor?.height, Height(4))
        XCTAssertEqual(partial.signaturesChecked, 3 + 6)
        if case .success = verify(response(c.batches, badTop, proof: proof(at: 4, hash: c.hashes[3]))) {
            XCTFail("a bad certificate above the anchor was accepted")
        }
        // Below the anchor a certificate is only checked for structure (the block is authenticated
        // by the chain), so a malformed one is still refused.
        var thin = c.certificates
        thin[1].commits.removeLast()
        if case .success = verify(response(c.batches, thin, proof: proof(at: 4, hash: c.hashes[3]))) {
            XCTFail("a certificate with too few commits was accepted under an anchor")
        }
    }

    func testADonorSendingGarbageIsRefusedAndSkipped() throws {
        let c = try chain()
        var rng = SystemRandomNumberGenerator()
        let junk = (0..<3).map { _ in (0..<200).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let garbage: [BlockResponse] = [
            BlockResponse(requestID: 1, from: Height(1), blocks: junk.map { ($0, $0) }),
            BlockResponse(requestID: 1, from: Height(1), blocks: [(c.batches[0].encoded(), junk[0])]),
            BlockResponse(requestID: 1, from: Height(1), blocks: [(c.batches[0].encoded(), c.certificates[0].encoded())],
                          checkpoint: junk[1]),
            BlockResponse(requestID: 1, from: Height(UInt64.max), blocks: [(c.batches[0].encoded(), c.certificates[0].encoded())]),
            BlockResponse(requestID: 1, from: Height(1), blocks: []),
        ]
        for r in garbage {
            if case .success = verify(r) { XCTFail("garbage accepted") }
        }
        // The donor that served it is not asked again while others remain.
        var donors = TransferDonors()
        let peers = [ReplicaID(1), ReplicaID(2), ReplicaID(3)]
        donors.refused(ReplicaID(2))
        for _ in 0..<12 {
            XCTAssertNotEqual(donors.next(vouching: peers, connected: Set(peers), everyone: peers), ReplicaID(2))
        }
        donors.refused(ReplicaID(1))
        donors.refused(ReplicaID(3))
        XCTAssertEqual(donors.refusals, 3)
        // Everyone refused once: the record is cleared rather than stalling the transfer.
        XCTAssertNotNil(donors.next(vouching: peers, connected: Set(peers), everyone: peers))
        XCTAssertTrue(donors.suspects.isEmpty)
    }

    func testRangesEndAtCheckpointsWhereTheyCan() {
        let limit = UInt32(NodeLimits.stateTransferBlocksPerRequest)
        for from in [1, 57, 100, 101, 4_999] as [UInt64] {
            let count = RangeVerifier.rangeCount(from: Height(from), upTo: Height(10_000), wanted: limit, checkpointInterval: 100)
            let end = from + UInt64(count) - 1
            XCTAssertTrue(count >= 1 && count <= limit)
            XCTAssertEqual(end % 100, 0, "range from \(from) ends at \(end)")
        }
        // A range that reaches the target is not cut: the target anchors it.
        XCTAssertEqual(RangeVerifier.rangeCount(from: Height(9_990), upTo: Height(10_005), wanted: limit, checkpointInterval: 100), 16)
        XCTAssertEqual(RangeVerifier.rangeCount(from: Height(9_999), upTo: Height(10_005), wanted: 3, checkpointInterval: 100), 2)
        XCTAssertEqual(RangeVerifier.rangeCount(from: Height(10_001), upTo: Height(10_005), wanted: limit, checkpointInterval: 100), 5)
        XCTAssertEqual(RangeVerifier.rangeCount(from: Height(10_001), upTo: Height(10_005), wanted: 2, checkpointInterval: 100), 2)
    }

    func testResponsesCarryTheProofAndStillReadWithoutOne() throws {
        let c = try chain(2)
        let p = proof(at: 2, hash: c.hashes[1])
        let with = response(c.batches, c.certificates, proof: p)
        let decoded = try BlockResponse.decode(with.encoded())
        XCTAssertEqual(decoded, with)
        XCTAssertEqual(try CheckpointProof.decode(try XCTUnwrap(decoded.checkpoint), replicaCount: 4), p)
        XCTAssertNil(try BlockResponse.decode(response(c.batches, c.certificates).encoded()).checkpoint)
        XCTAssertThrowsError(try BlockResponse.decode(with.encoded().dropLast().map { $0 }))
    }
}
