// `wallet tx` verification logic on locally built blocks and certificates: valid data verifies, each forgery is caught.
import LedgerCore
import LedgerCrypto
import LedgerJSON
import PBFT
import Wallet
import XCTest

final class InclusionVerifierTests: XCTestCase {
    private let chainID = "wallet-tests"
    private let validatorKeys = (0..<4).map { i in try! SigningKey(seed: [UInt8](repeating: UInt8(0x40 + i), count: 32)) }

    private func leaves(_ n: Int) -> [Digest] { (0..<n).map { Hash.blake2b256([UInt8(truncatingIfNeeded: $0), 7]) } }

    private func header(txs: [Digest], height: UInt64 = 5, batch: Digest = Hash.blake2b256([9])) -> BlockHeader {
        BlockHeader(height: Height(height), previousHash: Hash.blake2b256([1]), batchDigest: batch, view: View(2), proposer: ReplicaID(2),
                    timestamp: 1_767_225_600_123, txRoot: Merkle.root(txs), stateHash: Hash.blake2b256([3]), txCount: UInt32(txs.count))
    }

    private func certificate(for h: BlockHeader, signers: [Int], chain: String? = nil, digest: Digest? = nil, epoch: UInt64 = 0)
    -> CommitCertificate {
        let body = Commit(view: View(3), sequence: h.height, digest: digest ?? h.batchDigest)
        let commits = signers.map { i in
            Signed.make(body, signer: ReplicaID(i), using: Ed25519MessageSigner(key: validatorKeys[i]), context: SigningContext(chainID: chain ?? chainID, epoch: epoch))
        }
        return CommitCertificate(view: View(3), sequence: h.height, digest: digest ?? h.batchDigest, commits: commits)
    }

    private var publicKeys: [PublicKey] { validatorKeys.map(\.publicKey) }

    func testBareSiblingProofsVerifyForEveryPositionAndSize() throws {
        for n in 1...11 {
            let txs = leaves(n)
            let h = header(txs: txs)
            for i in 0..<n {
                let siblings = Merkle.proof(txs, index: i)!.map(\.sibling)
                let steps = try InclusionVerifier.steps(index: i, leafCount: n, siblings: siblings)
                XCTAssertEqual(steps, Merkle.proof(txs, index: i))
                XCTAssertNoThrow(try InclusionVerifier.verifyInclusion(txHash: txs[i], header: h, index: i, leafCount: n, steps: steps))
                // The same proof does not prove another transaction.
                let other = Hash.blake2b256([0xEE])
                XCTAssertThrowsError(try InclusionVerifier.verifyInclusion(txHash: other, header: h, index: i, leafCount: n, steps: steps))
            }
        }
    }

    func testProofObjectsFromTheNodeAreParsedAndCheckedAgainstTheHeader() throws {
        let txs = leaves(6)
        let h = header(txs: txs)
        let proof: JSONValue = .object([
            ("tx_root", .string(h.txRoot.hex)), ("index", .int(4)), ("leaf_count", .int(6)),
            ("path", .array(Merkle.proof(txs, index: 4)!.map { .string($0.sibling.hex) })),
        ])
        let (index, count, steps) = try InclusionVerifier.proofSteps(from: proof)
        XCTAssertNoThrow(try InclusionVerifier.verifyInclusion(txHash: txs[4], header: h, index: index, leafCount: count, steps: steps))
        // A proof claiming another leaf count than the header, or with a step too many, is refused.
        XCTAssertThrowsError(try InclusionVerifier.verifyInclusion(txHash: txs[4], header: h, index: index, leafCount: 7, steps: steps))
        let longer = proof.setting("path", .array(Merkle.proof(txs, index: 4)!.map { .string($0.sibling.hex) } + [.string(h.txRoot.hex)]))
        XCTAssertThrowsError(try InclusionVerifier.proofSteps(from: longer))
        // Header JSON round trip recomputes the same hash; a changed tx_root changes it.
        let hj: JSONValue = .object([
            ("height", .decimal(5)), ("prev_hash", .string(h.previousHash.hex)), ("batch_digest", .string(h.batchDigest.hex)),
            ("view", .decimal(2)), ("proposer", .int(2)), ("timestamp", .decimal(h.timestamp)), ("tx_root", .string(h.txRoot.hex)),
            ("state_hash", .string(h.stateHash.hex)), ("tx_count", .int(6)),
        ])
        XCTAssertEqual(try InclusionVerifier.header(from: hj).hash, h.hash)
        XCTAssertNotEqual(try InclusionVerifier.header(from: hj.setting("tx_root", .string(Hash.blake2b256([]).hex))).hash, h.hash)
    }

    func testACertificateWithAQuorumOfValidSignaturesVerifies() throws {
        let h = header(txs: leaves(3))
        let v = try InclusionVerifier.verifyCommit(certificate: certificate(for: h, signers: [0, 2, 3]).encoded(), header: h,
                                                   validators: publicKeys, chainID: chainID)
        XCTAssertEqual(v.signers, [ReplicaID(0), ReplicaID(2), ReplicaID(3)])
        XCTAssertEqual(v.validatorCount, 4)
    }

    /// A certificate of a later epoch verifies with that epoch (what the `validators` RPC at its height says) and not
    /// with epoch 0, nor the other way round: a vote counts only in its own epoch (decision 0038).
    func testACertificateVerifiesOnlyInItsOwnEpoch() throws {
        let h = header(txs: leaves(2))
        let later = certificate(for: h, signers: [0, 1, 2], epoch: 1).encoded()
        XCTAssertNoThrow(try InclusionVerifier.verifyCommit(certificate: later, header: h, validators: publicKeys, chainID: chainID, epoch: 1))
        XCTAssertThrowsError(try InclusionVerifier.verifyCommit(certificate: later, header: h, validators: publicKeys, chainID: chainID))
        let first = certificate(for: h, signers: [0, 1, 2]).encoded()
        XCTAssertThrowsError(try InclusionVerifier.verifyCommit(certificate: first, header: h, validators: publicKeys, chainID: chainID, epoch: 1))
    }

    func testForgedOrInsufficientCertificatesAreRefused() throws {
        let h = header(txs: leaves(3))
        func refuses(_ bytes: [UInt8], validators: [PublicKey]? = nil, chain: String? = nil, header hh: BlockHeader? = nil,
                     file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try InclusionVerifier.verifyCommit(certificate: bytes, header: hh ?? h, validators: validators ?? publicKeys,
                                                                    chainID: chain ?? chainID), file: file, line: line) { error in
                guard case .verificationFailed? = error as? WalletError else { return XCTFail("\(error)", file: file, line: line) }
            }
        }
        refuses(certificate(for: h, signers: [0, 1]).encoded())                            // 2 < 2f+1
        refuses(certificate(for: h, signers: [0, 0, 1]).encoded())                         // duplicate signer
        refuses(certificate(for: h, signers: [0, 1, 2], chain: "other-chain").encoded())   // signed for another chain
        refuses(certificate(for: h, signers: [0, 1, 2]).encoded(), chain: "other-chain")
        refuses(certificate(for: h, signers: [0, 1, 2], digest: Hash.blake2b256([42])).encoded())  // another batch
        refuses(certificate(for: header(txs: leaves(3), height: 6), signers: [0, 1, 2]).encoded()) // another height
        let strangers = (0..<4).map { _ in SigningKey.generate().publicKey }
        refuses(certificate(for: h, signers: [0, 1, 2]).encoded(), validators: strangers)   // another validator set
        var bytes = certificate(for: h, signers: [0, 1, 2]).encoded()
        bytes[bytes.count - 5] ^= 0x40                                                      // a damaged signature
        refuses(bytes)
        refuses(Array(bytes.prefix(20)))                                                    // truncated
    }

    func testValidatorKeysComeFromTheValidatorsAnswerOrGenesis() throws {
        let json: JSONValue = .object([("validators", .array(publicKeys.enumerated().reversed().map { i, k in
            .object([("id", .int(i)), ("public_key", .string(k.hex))])
        }))])
        XCTAssertEqual(try InclusionVerifier.validatorKeys(from: json), publicKeys)
        let dup: JSONValue = .object([("validators", .array([
            .object([("id", .int(0)), ("public_key", .string(publicKeys[0].hex))]),
            .object([("id", .int(0)), ("public_key", .string(publicKeys[1].hex))]),
        ]))])
        XCTAssertThrowsError(try InclusionVerifier.validatorKeys(from: dup))
    }
}
