// Checks the mempool's client rules for transactions that cannot succeed (zero amount, unknown sender, a taken (sender, nonce), balance against what waiting transactions may spend) and the per-sender cap, each through `check` and `admit`, and that gossip is held only to what no batch may hold.
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class FutileAdmissionTests: XCTestCase {
    private let sender = SigningKey.generate()
    private let recipient = Address(publicKey: SigningKey.generate().publicKey)

    private func tx(nonce: UInt64, amount: UInt64 = 5, memo: [UInt8] = []) throws -> Transaction {
        try Transaction.signed(chainID: "c", sender: sender, recipient: recipient, amount: amount, nonce: nonce, memo: memo)
    }

    private func client(_ pool: Mempool, _ t: Transaction, _ account: Account?) -> MempoolRejection? {
        let checked = pool.check(t, chainID: "c", account: account, fromClient: true)
        do { try pool.admit(t, chainID: "c", account: account, nowMs: 0, fromClient: true) } catch {
            XCTAssertEqual(checked, error, "check and admit agree")
            return error
        }
        XCTAssertNil(checked, "check and admit agree")
        return nil
    }

    func testAZeroAmountIsRefusedFromClientsAndGossip() throws {
        let pool = Mempool()
        let account = Account(publicKey: sender.publicKey, balance: 10, nonce: 0)
        let zero = try tx(nonce: 0, amount: 0)
        XCTAssertEqual(client(pool, zero, account), .zeroAmount)
        XCTAssertThrowsError(try pool.admit(zero, chainID: "c", account: account, nowMs: 0)) {
            XCTAssertEqual($0 as? MempoolRejection, .zeroAmount, "no valid batch may hold one, so no mempool holds one")
        }
        XCTAssertEqual(pool.count, 0)
        XCTAssertEqual(MempoolRejection.zeroAmount.reasonCode, "zero_amount")
    }

    func testANeverFundedSenderIsRefusedWhateverTheAmount() throws {
        let pool = Mempool()
        XCTAssertEqual(client(pool, try tx(nonce: 0, amount: 0), nil), .zeroAmount, "the stateless check comes first")
        XCTAssertEqual(client(pool, try tx(nonce: 0, amount: 1), nil), .unknownSender)
        XCTAssertEqual(MempoolRejection.unknownSender.reasonCode, "unknown_sender")
        XCTAssertEqual(pool.count, 0)
    }

    func testASecondTransactionWithATakenNonceIsRefusedButTheSameOneStaysIdempotent() throws {
        let pool = Mempool()
        let account = Account(publicKey: sender.publicKey, balance: 100, nonce: 0)
        let first = try tx(nonce: 0, amount: 5)
        XCTAssertNil(client(pool, first, account))
        XCTAssertEqual(client(pool, first, account), .duplicate, "the very same bytes: the RPC layer answers success")
        let variant = try tx(nonce: 0, amount: 6)
        let refusal = client(pool, variant, account)
        XCTAssertEqual(refusal, .nonceTaken(nonce: 0, pending: first.hash))
        XCTAssertEqual(refusal?.reasonCode, "nonce_taken")
        XCTAssertEqual(refusal?.details.map { "\($0.0)=\($0.1)" }, ["got=0", "pending_tx=\(first.hash.hex)"])
        // Gossip may still bring a conflicting one (another validator took it first); it is held, and then
        // neither is the answer to a client's third variant.
        try pool.admit(variant, chainID: "c", account: account, nowMs: 0)
        XCTAssertEqual(pool.count, 2)
        XCTAssertEqual(client(pool, try tx(nonce: 0, amount: 7), account), .nonceTaken(nonce: 0, pending: min(first.hash, variant.hash)))
        // Once the nonce is committed the answer is the committed one.
        pool.remove([first.hash])
        let moved = Account(publicKey: sender.publicKey, balance: 95, nonce: 1)
        XCTAssertEqual(client(pool, try tx(nonce: 0, amount: 8), moved), .nonceUsed(nonce: 0, next: 1))
    }

    func testBalanceCoversTheAmountPlusWhatWaitingTransactionsMaySpend() throws {
        let pool = Mempool()
        let account = Account(publicKey: sender.publicKey, balance: 100, nonce: 3)
        XCTAssertNil(client(pool, try tx(nonce: 3, amount: 60), account))
        let over = client(pool, try tx(nonce: 4, amount: 41), account)
        XCTAssertEqual(over, .insufficientBalance(balance: 100, amount: 41, pending: 60))
        XCTAssertEqual(over?.reasonCode, "insufficient_funds")
        XCTAssertEqual(over?.details.map { "\($0.0)=\($0.1)" }, ["balance=100", "needed=101", "pending=60"])
        XCTAssertTrue("\(over!)".contains("on top of the 60"), "\(over!)")
        XCTAssertNil(client(pool, try tx(nonce: 4, amount: 40), account), "exactly the rest")
        // A conflicting pair from gossip counts once, at its larger amount: only one of them can execute.
        let gossiped = try tx(nonce: 4, amount: 30, memo: [1])
        try pool.admit(gossiped, chainID: "c", account: account, nowMs: 0)
        XCTAssertEqual(client(pool, try tx(nonce: 5, amount: 1), account), .insufficientBalance(balance: 100, amount: 1, pending: 100))
        // Once nonce 3 commits (balance 40, next nonce 4), its 60 is in the balance and no longer counted
        // as waiting, even before the mempool drops it: a block committing between the account read and
        // the mempool read cannot make the node refuse what it could pay.
        let afterCommit = Account(publicKey: sender.publicKey, balance: 40, nonce: 4)
        XCTAssertEqual(client(pool, try tx(nonce: 5, amount: 1), afterCommit), .insufficientBalance(balance: 40, amount: 1, pending: 40))
        let richer = Account(publicKey: sender.publicKey, balance: 41, nonce: 4)
        XCTAssertNil(client(pool, try tx(nonce: 5, amount: 1), richer))
    }

    func testOneSenderMayHaveAtMostTheCapWaiting() throws {
        let pool = Mempool(capacity: 100, senderCapacity: 3)
        let account = Account(publicKey: sender.publicKey, balance: 1_000, nonce: 0)
        for n in 0..<3 { XCTAssertNil(client(pool, try tx(nonce: UInt64(n)), account)) }
        let limited = client(pool, try tx(nonce: 3), account)
        XCTAssertEqual(limited, .senderLimit(pending: 3, limit: 3, retryAfterMs: NodeLimits.busyRetryAfterMs))
        XCTAssertEqual(limited?.reasonCode, "sender_limit")
        XCTAssertEqual(limited?.details.map { "\($0.0)=\($0.1)" }, ["pending=3", "limit=3", "retry_after_ms=\(NodeLimits.busyRetryAfterMs)"])
        // Another sender is not affected.
        let other = SigningKey.generate()
        let theirs = try Transaction.signed(chainID: "c", sender: other, recipient: recipient, amount: 1, nonce: 0)
        XCTAssertNil(client(pool, theirs, Account(publicKey: other.publicKey, balance: 1, nonce: 0)))
        // Once one commits there is room again.
        pool.remove([try tx(nonce: 0).hash])
        XCTAssertNil(client(pool, try tx(nonce: 3), Account(publicKey: sender.publicKey, balance: 995, nonce: 1)))
    }

    func testTheCapIsALimitWithItsRelations() {
        XCTAssertGreaterThan(NodeLimits.pendingTransactionsPerSender, 1)
        XCTAssertLessThan(NodeLimits.pendingTransactionsPerSender, NodeLimits.mempoolCapacity)
        XCTAssertLessThanOrEqual(NodeLimits.pendingTransactionsPerSender, NodeLimits.admissionBatchMax)
    }

    func testCheckChangesNothing() throws {
        let pool = Mempool()
        let account = Account(publicKey: sender.publicKey, balance: 10, nonce: 0)
        let t = try tx(nonce: 0)
        XCTAssertNil(pool.check(t, chainID: "c", account: account, fromClient: true))
        XCTAssertEqual(pool.count, 0)
        XCTAssertFalse(pool.contains(t.hash))
    }
}
