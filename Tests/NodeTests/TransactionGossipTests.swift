// Checks the mempool gossip frame: transactions survive the round trip in order, large sets split into
// bounded frames, and truncated, oversized or lying frames are refused with an error rather than trapping.
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class TransactionGossipTests: XCTestCase {
    private let sender = SigningKey.generate()

    private func txs(_ count: Int) throws -> [Transaction] {
        let to = Address(publicKey: SigningKey.generate().publicKey)
        return try (0..<count).map { try Transaction.signed(chainID: "g", sender: sender, recipient: to, amount: 1, nonce: UInt64($0)) }
    }

    private func body(_ frame: [UInt8]) throws -> ArraySlice<UInt8> {
        let (kind, body) = try XCTUnwrap(Envelope.unwrap(frame))
        XCTAssertEqual(kind, .transactions)
        return body
    }

    func testRoundTripKeepsOrderAndSplitsAtTheFrameBound() throws {
        let all = try txs(NodeLimits.gossipTransactionsPerFrame + 3)
        let frames = TransactionGossip.frames(all)
        XCTAssertEqual(frames.count, 2)
        var back: [Transaction] = []
        for f in frames { back += try TransactionGossip.split(try body(f)).map { try Transaction.decode($0) } }
        XCTAssertEqual(back, all)
        XCTAssertTrue(TransactionGossip.frames([]).isEmpty)
    }

    func testMalformedFramesAreRefused() throws {
        let frame = try XCTUnwrap(TransactionGossip.frames(try txs(2)).first)
        let good = try body(frame)
        // Every truncation is an error, never a trap or a partial result.
        for cut in stride(from: 0, to: good.count - 1, by: 7) {
            XCTAssertThrowsError(try TransactionGossip.split(good.prefix(cut)), "truncated at \(cut)")
        }
        XCTAssertThrowsError(try TransactionGossip.split(good + [0]), "trailing bytes")
        // A count claiming more transactions than the bound, or than the bytes could hold.
        var lying = Array(good)
        lying.replaceSubrange(0..<4, with: [0xff, 0xff, 0xff, 0xff])
        XCTAssertThrowsError(try TransactionGossip.split(lying[...]))
        // A transaction length far past the transaction size limit.
        var long = Array(good)
        long.replaceSubrange(4..<8, with: [0x7f, 0xff, 0xff, 0xff])
        XCTAssertThrowsError(try TransactionGossip.split(long[...]))
    }
}
