// The wallet's chain of validator sets from genesis (decision 0038), on locally built changes, batches and
// certificates: an honest chain verifies to the right set and epoch; every lie a node could tell is caught.
import LedgerCore
import LedgerCrypto
import PBFT
import Wallet
import XCTest

final class SetChainVerifierTests: XCTestCase {
    private let keys = (0..<4).map { i in try! SigningKey(seed: [UInt8](repeating: UInt8(0x50 + i), count: 32)) }
    private let joiner = try! SigningKey(seed: [UInt8](repeating: 0x66, count: 32))

    private func genesis() throws -> Genesis {
        let validators = keys.enumerated().map { Validator(id: ReplicaID($0.offset), publicKey: $0.element.publicKey, p2pAddress: "127.0.0.1:\(27100 + $0.offset)") }
        var consensus = ConsensusParameters.testDefaults
        consensus.checkpointInterval = 10
        consensus.window = 40
        return try Genesis(chainID: "set-chain", genesisTimeMs: 1_767_225_600_000, validators: validators,
                           accounts: [GenesisAccount(address: Address(publicKey: keys[0].publicKey), balance: 1_000)],
                           consensus: consensus, isTestNetwork: true)
    }

    /// The step a node would report for a change committed at `height`, certified by `signers` of `signingKeys` in `epoch`.
    private func step(_ change: ValidatorSetChange, at height: UInt64, firstHeight: UInt64, epoch: UInt64 = 1,
                      signingKeys: [SigningKey]? = nil, signers: [Int] = [0, 1, 2], certifiedEpoch: UInt64 = 0,
                      batchBytes: [UInt8]? = nil) -> EpochStep {
        let batch = Batch(view: View(0), timestamp: 1_767_225_601_000, transactions: [], changes: [change])
        let body = Commit(view: View(0), sequence: Height(height), digest: batch.digest)
        let commits = signers.map { i in
            Signed.make(body, signer: ReplicaID(i), using: Ed25519MessageSigner(key: (signingKeys ?? keys)[i]),
                        context: SigningContext(chainID: "set-chain", epoch: certifiedEpoch))
        }
        let certificate = CommitCertificate(view: View(0), sequence: Height(height), digest: batch.digest, commits: commits)
        return EpochStep(epoch: epoch, firstHeight: Height(firstHeight), changeHeight: Height(height),
                         batch: batchBytes ?? batch.encoded(), certificate: certificate.encoded())
    }

    private func addition(approvers: Range<Int> = 0..<3) throws -> ValidatorSetChange {
        var change = try ValidatorSetChange(chainID: "set-chain", epoch: 0,
                                            operations: [.add(publicKey: joiner.publicKey, p2pAddress: "127.0.0.1:27199", rpcAddress: nil)])
        for i in approvers { change = change.approved(by: keys[i]) }
        return change
    }

    func testAnHonestChainGivesTheNextSetAndEpoch() throws {
        let g = try genesis()
        // Committed in block 7: a = ⌈(7 + 40)/10⌉·10 = 50, so epoch 1 begins at 51.
        let membership = try InclusionVerifier.verifySetChain(genesis: g, steps: [step(try addition(), at: 7, firstHeight: 51)])
        XCTAssertEqual(membership.epoch, 1)
        XCTAssertEqual(membership.firstHeight, Height(51))
        XCTAssertEqual(membership.validators.map(\.publicKey), keys.map(\.publicKey) + [joiner.publicKey])
        XCTAssertEqual(try InclusionVerifier.verifySetChain(genesis: g, steps: []).epoch, 0, "no step: genesis's set")
    }

    func testEveryLieIsCaught() throws {
        let g = try genesis()
        let change = try addition()
        func refused(_ steps: [EpochStep], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try InclusionVerifier.verifySetChain(genesis: g, steps: steps), what, file: file, line: line) {
                guard case .verificationFailed = $0 as? WalletError else { return XCTFail("\(what): \($0)", file: file, line: line) }
            }
        }
        refused([step(change, at: 7, firstHeight: 52)], "another first height than the rule gives")
        refused([step(change, at: 7, firstHeight: 51, epoch: 2)], "an epoch skipped")
        refused([step(change, at: 7, firstHeight: 51, signers: [0, 1])], "two signatures of four: no quorum")
        refused([step(change, at: 7, firstHeight: 51, certifiedEpoch: 1)], "a certificate signed in another epoch")
        let strangers = (0..<4).map { i in try! SigningKey(seed: [UInt8](repeating: UInt8(0x70 + i), count: 32)) }
        refused([step(change, at: 7, firstHeight: 51, signingKeys: strangers)], "a certificate by keys outside the set")
        let other = Batch(view: View(0), timestamp: 1, transactions: [], changes: [change]).encoded()
        refused([step(change, at: 7, firstHeight: 51, batchBytes: other)], "a batch that is not the certified one")
        refused([step(try addition(approvers: 0..<2), at: 7, firstHeight: 51)], "a change with two approvals of four")
        // A true first step, then a second change certified by the old set instead of the new one.
        var second = try ValidatorSetChange(chainID: "set-chain", epoch: 1, operations: [.remove(publicKey: keys[3].publicKey)])
        for k in keys.prefix(3) + [joiner] { second = second.approved(by: k) }
        refused([step(change, at: 7, firstHeight: 51), step(second, at: 60, firstHeight: 101, epoch: 2, certifiedEpoch: 1)],
                "epoch 1's block certified by epoch 0's keys")
        // Certified by the new set it verifies.
        let newKeys = keys + [joiner]
        let good = try InclusionVerifier.verifySetChain(genesis: g, steps: [
            step(change, at: 7, firstHeight: 51),
            step(second, at: 60, firstHeight: 101, epoch: 2, signingKeys: newKeys, signers: [0, 1, 2, 4], certifiedEpoch: 1),
        ])
        XCTAssertEqual(good.epoch, 2)
        XCTAssertEqual(good.validators.map(\.publicKey), keys.prefix(3).map(\.publicKey) + [joiner.publicKey])
    }
}
