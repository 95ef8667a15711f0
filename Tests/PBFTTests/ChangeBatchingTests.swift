// Checks how the primary orders validator-set changes beside transfers: a change rides in a batch after its
// transfers, never two in one batch (every change shares one lane position), and the ledger's batch check accepts
// what an honest primary cuts.
import LedgerCore
import LedgerCrypto
import PBFT
import XCTest

final class ChangeBatchingTests: XCTestCase {
    private let chain = "changes"

    private func change(adding seed: UInt8, by keys: [SigningKey]) throws -> ValidatorSetChange {
        let joiner = try SigningKey(seed: [UInt8](repeating: seed, count: 32))
        var change = try ValidatorSetChange(
            chainID: chain, epoch: 0, operations: [.add(publicKey: joiner.publicKey, p2pAddress: "10.1.0.\(seed):1", rpcAddress: nil)])
        for key in keys.prefix(3) { change = change.approved(by: key) }
        return change
    }

    func testAPrimaryPutsAtMostOneChangeInABatchAfterItsTransfers() throws {
        let keys = try (0..<4).map { i in try SigningKey(seed: [UInt8](repeating: UInt8(10 + i), count: 32)) }
        let alice = try SigningKey(seed: [UInt8](repeating: 99, count: 32))
        let bob = Address(publicKey: keys[1].publicKey)
        let transfers = try (0..<3).map {
            LedgerRequest.transfer(try Transaction.signed(chainID: chain, sender: alice, recipient: bob, amount: 5, nonce: UInt64($0)))
        }
        let changes = [try change(adding: 60, by: keys), try change(adding: 61, by: keys)].map(LedgerRequest.validatorSetChange)
        var config = ReplicaConfiguration(replicaCount: 4, replicaID: ReplicaID(0), chainID: chain, maxBatchTxs: 100, maxBatchBytes: 1 << 20)
        config.batchDelayMs = 10
        config.partialBatchDepth = 8
        var primary = try LedgerReplica(configuration: config, signer: Ed25519MessageSigner(key: keys[0]))
        _ = primary.handle(.start(.genesis), now: 1_000)
        // Both changes arrive together with the transfers: one batch could hold them all but for the rule.
        var proposed: [Batch] = []
        for (i, event) in [LedgerEvent.requests([changes[0]] + transfers + [changes[1]]), .timerFired(.batch)].enumerated() {
            let actions = primary.handle(event, now: 1_000 + 100 * UInt64(i))
            proposed += actions.compactMap { if case let .broadcast(.prePrepare(_, b)) = $0 { b } else { nil } }
        }
        XCTAssertEqual(proposed.flatMap(\.changes).count, 2, "both changes are proposed")
        XCTAssertTrue(proposed.allSatisfy { $0.changes.count <= Limits.batchMaxChanges }, "\(proposed.map(\.changes.count))")
        let check = LedgerMessageVerifier.ledgerBatchCheck(chainID: chain, limits: BatchLimits(maxTransactions: 100, maxBytes: 1 << 20))
        for batch in proposed {
            XCTAssertEqual(check(batch), .valid)
            XCTAssertEqual(batch.requestCount, batch.requests.count, "the primary's count without the array")
            XCTAssertEqual(batch.requests.last?.validatorSetChange != nil, !batch.changes.isEmpty, "a change goes after the transfers")
        }
    }
}
