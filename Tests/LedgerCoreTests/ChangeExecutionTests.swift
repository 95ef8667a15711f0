// Checks how a block executes a validator-set change: accepted it becomes pending with its boundary, refused its
// receipt names the rule, a second change waits for the first, the next epoch begins exactly after the boundary
// block, and batches and blocks carrying a change encode, decode and hash as documented.
import LedgerCore
import LedgerCrypto
import XCTest

final class ChangeExecutionTests: XCTestCase {
    private let validatorKeys = (1...4).map { Fixtures.key(UInt8($0)) }
    private let joiner = Fixtures.key(50)
    private let alice = Fixtures.key(60), bob = Fixtures.key(61)

    private func addJoiner(approvers: Range<Int> = 0..<3, epoch: UInt64 = 0, address: String = "10.0.0.50:26656") throws -> ValidatorSetChange {
        var change = try ValidatorSetChange(
            chainID: Fixtures.chainID, epoch: epoch, operations: [.add(publicKey: joiner.publicKey, p2pAddress: address, rpcAddress: nil)])
        for i in approvers { change = change.approved(by: validatorKeys[i]) }
        return change
    }

    private struct Chain {
        var state: AccountState
        var header: BlockHeader
        var membership = Fixtures.membership

        mutating func run(_ txs: [Transaction] = [], changes: [ValidatorSetChange] = []) -> BlockExecution {
            let batch = Batch(view: View(0), timestamp: header.timestamp + 10, transactions: txs, changes: changes)
            let execution = StateTransition.execute(
                batch: batch, previous: header, proposer: ReplicaID(0), accounts: state, membership: membership, rules: Fixtures.rules)
            state.apply(execution)
            header = execution.block.header
            membership = execution.membership
            return execution
        }
    }

    private func chain() -> Chain {
        Chain(state: AccountState(accounts: [Account(publicKey: alice.publicKey, balance: 100)]),
              header: BlockHeader(height: .zero, previousHash: .zero, batchDigest: .zero, view: .zero, proposer: ReplicaID(0),
                                  timestamp: 1_000, txRoot: Merkle.root([]), stateHash: .zero, txCount: 0))
    }

    func testAnAcceptedChangeIsPendingUntilItsBoundaryThenTheNextEpochBegins() throws {
        var c = chain()
        _ = c.run()
        let transfer = Fixtures.transfer(from: alice, to: bob, amount: 5, nonce: 0)
        let execution = c.run([transfer], changes: [try addJoiner()])
        // Committed at height 2 with W = 64, K = 16: the boundary is 80.
        XCTAssertEqual(execution.block.changeReceipts, [Receipt(txHash: try addJoiner().hash, index: 1, status: .success)])
        XCTAssertEqual(execution.block.receipts.map(\.status), [.success], "the transfer beside it executes as usual")
        XCTAssertTrue(execution.block.isConsistent)
        XCTAssertEqual(c.membership.epoch, 0)
        XCTAssertEqual(c.membership.pending?.lastSequence, Height(80))
        XCTAssertEqual(c.membership.pending?.validators.count, 5)
        XCTAssertEqual(c.membership.validators.count, 4, "the old set orders every block up to the boundary")
        while c.header.height.rawValue < 79 { _ = c.run() }
        XCTAssertEqual(c.membership.epoch, 0)
        _ = c.run()  // block 80, the boundary
        XCTAssertEqual(c.membership.epoch, 1)
        XCTAssertEqual(c.membership.firstHeight, Height(81))
        XCTAssertNil(c.membership.pending)
        XCTAssertEqual(c.membership.validators.map(\.publicKey), validatorKeys.map(\.publicKey) + [joiner.publicKey])
    }

    func testRefusedChangesNameTheirRuleAndChangeNothing() throws {
        var c = chain()
        let short = try addJoiner(approvers: 0..<2)
        let refused = c.run(changes: [short])
        XCTAssertEqual(refused.block.changeReceipts.first?.status, .failed(.changeRefused(rule: 13, detail: 3)))
        XCTAssertTrue("\(FailureReason.changeRefused(rule: 13, detail: 3))".contains("fewer approvals than the quorum 3"))
        XCTAssertEqual(c.membership, Fixtures.membership)

        _ = c.run(changes: [try addJoiner()])
        let boundary = try XCTUnwrap(c.membership.pending?.lastSequence)
        // A second change while one is pending waits: refused, naming the boundary.
        var other = try ValidatorSetChange(
            chainID: Fixtures.chainID, epoch: 0, operations: [.remove(publicKey: validatorKeys[3].publicKey)])
        for key in validatorKeys.prefix(3) { other = other.approved(by: key) }
        let second = c.run(changes: [other])
        XCTAssertEqual(second.block.changeReceipts.first?.status, .failed(.changeRefused(rule: 3, detail: boundary.rawValue)))
        // The same change again after it took effect is for a past epoch.
        while c.header.height < boundary { _ = c.run() }
        let replay = c.run(changes: [try addJoiner(address: "10.0.0.51:26656")])
        XCTAssertEqual(replay.block.changeReceipts.first?.status, .failed(.changeRefused(rule: 2, detail: 1)))
    }

    func testBatchesAndBlocksWithAChangeRoundTripAndBatchesWithoutKeepTheirBytes() throws {
        let change = try addJoiner()
        let tx = Fixtures.transfer(from: alice, to: bob, amount: 5, nonce: 0)
        let plain = Batch(view: View(3), timestamp: 9, transactions: [tx])
        let withChange = Batch(view: View(3), timestamp: 9, transactions: [tx], changes: [change])
        XCTAssertEqual(plain.encoded().first, 1)
        XCTAssertEqual(withChange.encoded().first, 2)
        XCTAssertEqual(withChange.encoded().count, plain.encoded().count + 1 + change.encodedSize)
        XCTAssertEqual(change.encodedSize, change.encoded().count)
        XCTAssertNotEqual(plain.digest, withChange.digest)
        XCTAssertEqual(try Batch.decode(withChange.encoded()), withChange)
        XCTAssertEqual(try Batch.decode(withChange.encoded()).changes, [change])
        XCTAssertEqual(Batch.null.encoded(), [1] + [UInt8](repeating: 0, count: 20), "the null batch's bytes are unchanged")
        // A version-2 batch must hold a change (one encoding per batch).
        var empty = plain.encoded()
        empty[0] = 2
        XCTAssertThrowsError(try Batch.decode(empty + [0]))
        XCTAssertThrowsError(try Batch.decode(empty))

        var c = chain()
        let block = c.run([tx], changes: [change]).block
        let decoded = try Block.decode(block.encoded())
        XCTAssertEqual(decoded, block)
        XCTAssertEqual(decoded.changes, [change])
        XCTAssertEqual(block.encoded().first, 2)

        var tooMany = withChange
        tooMany = Batch(view: View(3), timestamp: 9, transactions: [tx], changes: [change, try addJoiner(address: "10.0.0.52:1")])
        XCTAssertThrowsError(try tooMany.validate(chainID: Fixtures.chainID, limits: BatchLimits(maxTransactions: 10, maxBytes: 1 << 20)))
        XCTAssertThrowsError(try withChange.validate(chainID: "other", limits: BatchLimits(maxTransactions: 10, maxBytes: 1 << 20)))
    }

    func testMembershipEncodingRoundTrips() throws {
        var c = chain()
        _ = c.run(changes: [try addJoiner()])
        let pending = c.membership
        XCTAssertNotNil(pending.pending)
        XCTAssertEqual(try Membership.decode(pending.encoded()), pending)
        XCTAssertEqual(try Membership.decode(Fixtures.membership.encoded()), Fixtures.membership)
        XCTAssertThrowsError(try Membership.decode(pending.encoded() + [0]))
        var rng = SeededGenerator(seed: 38)
        let bytes = pending.encoded()
        for _ in 0..<1_000 {
            var mutated = bytes
            mutated[Int.random(in: 0..<mutated.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            _ = try? Membership.decode(mutated)
            _ = try? Membership.decode(Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng))))
        }
    }
}
