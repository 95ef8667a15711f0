// Checks the ledger's Batch and Transaction as consensus payloads: wire round trip, Ed25519 message verification and the ledger validity check in the verifier.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class LedgerBatchTests: XCTestCase {
    func testLedgerPrePrepareVerifiesWithEd25519AndTheLedgerCheck() throws {
        let chain = "ledger-test"
        let keys = try (0..<4).map { i in try SigningKey(seed: [UInt8](repeating: UInt8(10 + i), count: 32)) }
        let scheme = Ed25519ValidatorKeys(publicKeys: keys.map(\.publicKey))
        let alice = try SigningKey(seed: [UInt8](repeating: 99, count: 32))
        let bob = Address(publicKey: keys[1].publicKey)
        let txs = try (1...3).map { try Transaction.signed(chainID: chain, sender: alice, recipient: bob, amount: 5, nonce: UInt64($0)) }
        let batch = Batch.make(view: .zero, timestampMilliseconds: 1_000, requests: txs.map(LedgerRequest.transfer))
        XCTAssertEqual(Batch.decode(ArraySlice(batch.encoded())), batch)
        let pp = Signed.make(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: batch.digest), signer: ReplicaID(0),
                             using: Ed25519MessageSigner(key: keys[0]), context: SigningContext(chainID: chain, epoch: 0))
        let message = LedgerMessage.prePrepare(pp, batch: batch)
        let verifier = LedgerMessageVerifier(
            context: SigningContext(chainID: chain, epoch: 0), scheme: scheme,
            checkBatch: LedgerMessageVerifier.ledgerBatchCheck(chainID: chain, limits: BatchLimits(maxTransactions: 10, maxBytes: 100_000)))
        XCTAssertNoThrow(try verifier.decodeAndVerify(message.encoded(), window: 64))

        // A batch that repeats a transaction fails the ledger check.
        let duplicated = Batch.make(view: .zero, timestampMilliseconds: 1_000, requests: [.transfer(txs[0]), .transfer(txs[0])])
        let pp2 = Signed.make(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: duplicated.digest), signer: ReplicaID(0),
                              using: Ed25519MessageSigner(key: keys[0]), context: SigningContext(chainID: chain, epoch: 0))
        XCTAssertThrowsError(try verifier.verify(.prePrepare(pp2, batch: duplicated))) { error in
            guard case PBFTError.invalidBatch = error else { return XCTFail("\(error)") }
        }
        // The primary keeps header + transactions within maxBatchBytes.
        let txBytes = txs[0].encodedSize
        var config = ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(0), chainID: chain,
                                          maxBatchTxs: 100, maxBatchBytes: Batch.headerByteCount + 2 * txBytes)
        config.batchDelayMs = 10
        var primary = try LedgerReplica(configuration: config, signer: Ed25519MessageSigner(key: keys[0]))
        _ = primary.handle(.start(.genesis), now: 1_000)
        let actions = primary.handle(.requests(txs.map(LedgerRequest.transfer)), now: 1_000)
        let proposed = actions.compactMap { if case let .broadcast(.prePrepare(_, b)) = $0 { b } else { nil } }
        // Two fill a batch by bytes; the third goes out at once in a batch of its own (a light pipeline).
        XCTAssertEqual(proposed.map(\.transactions.count), [2, 1])
        for batch in proposed { XCTAssertLessThanOrEqual(batch.encodedSize, config.maxBatchBytes) }
    }
}
