// Checks how a ledger primary cuts batches from its pending transactions (senders round-robin, each in nonce order, one per (sender, nonce) per batch) and that backups refuse, through the ledger's validity check in the verifier, a PRE-PREPARE whose batch holds a transaction no honest primary proposes.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT

final class FairBatchingTests: XCTestCase {
    private let chain = "ledger-test"
    private let keys = (0..<4).map { i in try! SigningKey(seed: [UInt8](repeating: UInt8(10 + i), count: 32)) }
    private let alice = try! SigningKey(seed: [UInt8](repeating: 97, count: 32))
    private let bob = try! SigningKey(seed: [UInt8](repeating: 98, count: 32))
    private let carol = try! SigningKey(seed: [UInt8](repeating: 99, count: 32))
    private var sink: Address { Address(publicKey: keys[3].publicKey) }

    private func tx(_ from: SigningKey, _ nonce: UInt64, amount: UInt64 = 5) throws -> Transaction {
        try Transaction.signed(chainID: chain, sender: from, recipient: sink, amount: amount, nonce: nonce)
    }

    /// The batches a fresh primary with `maxBatchTxs` proposes at once for `requests`.
    private func proposals(_ requests: [Transaction], maxBatchTxs: Int) throws -> [Batch] {
        var config = ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(0), chainID: chain,
                                          maxBatchTxs: maxBatchTxs, maxBatchBytes: 1 << 20)
        config.batchDelayMs = 10
        var primary = try LedgerReplica(configuration: config, signer: Ed25519MessageSigner(key: keys[0]))
        _ = primary.handle(.start(.genesis), now: 1_000)
        let actions = primary.handle(.requests(requests.map(LedgerRequest.transfer)), now: 1_000)
        return actions.compactMap { if case let .broadcast(.prePrepare(_, b)) = $0 { b } else { nil } }
    }

    func testOneBusySenderDoesNotStarveTheOthers() throws {
        // Alice's six arrive first; Bob and Carol queue behind her.
        let a = try (0..<6).map { try tx(alice, UInt64($0)) }
        let b = try (0..<2).map { try tx(bob, UInt64($0)) }
        let c0 = try tx(carol, 0)
        let batches = try proposals(a + [b[0], c0, b[1]], maxBatchTxs: 4)
        XCTAssertGreaterThanOrEqual(batches.count, 2)
        XCTAssertEqual(batches[0].transactions, [a[0], b[0], c0, a[1]], "one from each sender per round, oldest sender first")
        XCTAssertEqual(batches[1].transactions, [a[2], b[1], a[3], a[4]])
    }

    func testASendersTransactionsGoInNonceOrderWhateverTheArrivalOrder() throws {
        let a = try (0..<3).map { try tx(alice, UInt64($0)) }
        let batches = try proposals([a[2], a[0], a[1]], maxBatchTxs: 8)
        XCTAssertEqual(batches.first?.transactions, a)
    }

    func testAConflictingPairNeverSharesABatch() throws {
        // Two transactions with one (sender, nonce), as gossip can bring: the batch holds one; the other waits.
        let first = try tx(alice, 0, amount: 5)
        let second = try tx(alice, 0, amount: 6)
        let b0 = try tx(bob, 0)
        let batches = try proposals([first, second, b0], maxBatchTxs: 8)
        XCTAssertEqual(batches.first?.transactions, [first, b0])
        XCTAssertNoThrow(try batches.first?.validate(chainID: chain, limits: .hardCaps))
    }

    func testABackupRefusesABatchWithAnImpossibleTransaction() throws {
        let scheme = Ed25519ValidatorKeys(publicKeys: keys.map(\.publicKey))
        let verifier = LedgerMessageVerifier(
            context: SigningContext(chainID: chain, epoch: 0), scheme: scheme,
            checkBatch: LedgerMessageVerifier.ledgerBatchCheck(chainID: chain, limits: BatchLimits(maxTransactions: 10, maxBytes: 100_000)))
        func prePrepare(_ txs: [Transaction]) -> LedgerMessage {
            let batch = Batch.make(view: .zero, timestampMilliseconds: 1_000, requests: txs.map(LedgerRequest.transfer))
            let pp = Signed.make(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: batch.digest), signer: ReplicaID(0),
                                 using: Ed25519MessageSigner(key: keys[0]), context: SigningContext(chainID: chain, epoch: 0))
            return .prePrepare(pp, batch: batch)
        }
        func refusal(_ txs: [Transaction]) -> String? {
            do { _ = try verifier.decodeAndVerify(prePrepare(txs).encoded(), window: 64) } catch {
                guard case let PBFTError.invalidBatch(reason) = error else { return "unexpected: \(error)" }
                return reason
            }
            return nil
        }
        let good = try tx(alice, 0)
        XCTAssertNil(refusal([good]))
        // A never-funded sender is not structurally impossible (the state decides): it executes as a failure.
        XCTAssertNil(refusal([good, try tx(carol, 0)]))
        let zero = refusal([good, try tx(bob, 0, amount: 0)])
        XCTAssertTrue(zero?.contains("transfers 0") == true, zero ?? "accepted")
        let pair = refusal([good, try tx(bob, 0), try tx(alice, 0, amount: 9)])
        XCTAssertTrue(pair?.contains("repeats the sender and nonce 0 of transaction 0") == true, pair ?? "accepted")
    }
}
