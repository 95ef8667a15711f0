// Checks that the store keeps what validator-set changes did: the change and its receipt in the block, the current
// membership across a reopen, every epoch's set by height, and the raw batch state transfer serves re-hashes to the
// header's digest.
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import XCTest

final class MembershipStoreTests: XCTestCase {
    func testTheStoreKeepsChangesMembershipAndEverySetByHeight() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let path = dir.path("ledger.sqlite")
        var chain = ChainBuilder()
        let joiner = try SigningKey(seed: [UInt8](repeating: 77, count: 32))
        let change = try Self.addition(of: joiner, at: "127.0.0.1:27010", chain)

        do {
            let store = try LedgerStore.open(path: path, genesis: chain.genesis)
            XCTAssertEqual(try store.membership(genesis: chain.genesis), Membership(genesis: chain.genesis))
            _ = try store.apply(chain.next(txCount: 2), certificate: nil)
            let withChange = chain.next(transactions: [], changes: [change])
            XCTAssertEqual(withChange.block.changeReceipts.first?.status, .success)
            _ = try store.apply(withChange, certificate: certificate(for: withChange))
            let boundary = try XCTUnwrap(chain.membership.pending?.lastSequence)
            while chain.previous.height < boundary {
                _ = try store.apply(chain.next(txCount: 1), certificate: nil)
            }
            _ = try store.apply(chain.next(txCount: 1), certificate: nil)
            XCTAssertEqual(chain.membership.epoch, 1)
            XCTAssertEqual(try store.membership(genesis: chain.genesis), chain.membership)

            // The block with the change reads back with it; its raw batch hashes to the header's digest.
            let stored = try XCTUnwrap(try store.block(at: Height(2)))
            XCTAssertEqual(stored, withChange.block)
            let raw = try store.rawBlocks(from: Height(2), count: 1, maxBytes: 1 << 20)
            XCTAssertEqual(raw.count, 1)
            XCTAssertEqual(Hash.blake2b256(raw[0].batch), withChange.block.header.batchDigest)
            XCTAssertEqual(try Batch.decode(raw[0].batch).changes, [change])
            // State transfer's decoding reads it the same (it once refused version 2, so a fetched range holding a
            // change never applied).
            let trusted = try TrustedDecoding.batch(raw[0].batch)
            XCTAssertEqual(trusted.changes, [change])
            XCTAssertEqual(trusted.digest, withChange.block.header.batchDigest)
            XCTAssertThrowsError(try TrustedDecoding.batch(Array(raw[0].batch.dropLast())))
            XCTAssertEqual(try store.firstHeight(ofEpoch: 0), Height(1))
            XCTAssertEqual(try store.firstHeight(ofEpoch: 1), Height(boundary.rawValue + 1))
            XCTAssertNil(try store.firstHeight(ofEpoch: 2))
        }
        // Reopened, the store still knows the membership and which set ordered each height.
        let store = try LedgerStore.open(path: path, genesis: chain.genesis)
        XCTAssertEqual(try store.membership(genesis: chain.genesis), chain.membership)
        let boundary = chain.membership.firstHeight.rawValue - 1
        XCTAssertEqual(try store.validatorSet(at: Height(boundary), genesis: chain.genesis).epoch, 0)
        XCTAssertEqual(try store.validatorSet(at: Height(boundary), genesis: chain.genesis).validators, chain.genesis.validators)
        let after = try store.validatorSet(at: Height(boundary + 1), genesis: chain.genesis)
        XCTAssertEqual(after.epoch, 1)
        XCTAssertEqual(after.validators.last?.publicKey, joiner.publicKey)
    }

    /// A range applied by state transfer stores what a block applied by consensus stores: the change with its receipt,
    /// the membership and the new epoch's set (a transfer once wrote only blocks and accounts, so a node that caught
    /// up across a boundary answered `validators` with the old set and lost the change at restart).
    func testATransferredRangeKeepsChangesMembershipAndEpochsLikeConsensus() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        var chain = ChainBuilder()
        let joiner = try SigningKey(seed: [UInt8](repeating: 78, count: 32))
        let change = try Self.addition(of: joiner, at: "127.0.0.1:27011", chain)
        var executions = [chain.next(txCount: 1), chain.next(transactions: [], changes: [change])]
        let boundary = try XCTUnwrap(chain.membership.pending?.lastSequence)
        while chain.previous.height.rawValue <= boundary.rawValue { executions.append(chain.next(txCount: 1)) }
        XCTAssertEqual(chain.membership.epoch, 1)

        let byConsensus = try LedgerStore.open(path: dir.path("consensus.sqlite"), genesis: chain.genesis)
        for e in executions { _ = try byConsensus.apply(e, certificate: nil) }
        let byTransfer = try LedgerStore.open(path: dir.path("transfer.sqlite"), genesis: chain.genesis)
        let split = executions.count / 2
        for part in [executions[..<split], executions[split...]] {
            try byTransfer.applyTransferredRange(part.map { ($0, certificate: Optional<[UInt8]>.none) }, checkpoint: nil)
        }
        XCTAssertEqual(try byTransfer.head().hash, try byConsensus.head().hash)
        XCTAssertEqual(try byTransfer.membership(genesis: chain.genesis), chain.membership)
        XCTAssertEqual(try byTransfer.block(at: Height(2))?.changes, [change])
        let after = try byTransfer.validatorSet(at: Height(boundary.rawValue + 1), genesis: chain.genesis)
        XCTAssertEqual(after.epoch, 1)
        XCTAssertEqual(after.validators, try byConsensus.validatorSet(at: Height(boundary.rawValue + 1), genesis: chain.genesis).validators)
        XCTAssertEqual(try byTransfer.firstHeight(ofEpoch: 1), Height(boundary.rawValue + 1))
    }

    /// A change adding `joiner` at `address`, approved by three of the chain's four validators.
    private static func addition(of joiner: SigningKey, at address: String, _ chain: ChainBuilder) throws -> ValidatorSetChange {
        var change = try ValidatorSetChange(
            chainID: chain.genesis.chainID, epoch: 0, operations: [.add(publicKey: joiner.publicKey, p2pAddress: address, rpcAddress: nil)])
        for key in chain.validatorKeys.prefix(3) { change = change.approved(by: key) }
        return change
    }
}
