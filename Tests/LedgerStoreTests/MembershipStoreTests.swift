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
        var change = try ValidatorSetChange(
            chainID: chain.genesis.chainID, epoch: 0,
            operations: [.add(publicKey: joiner.publicKey, p2pAddress: "127.0.0.1:27010", rpcAddress: nil)])
        for key in chain.validatorKeys.prefix(3) { change = change.approved(by: key) }

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
}
