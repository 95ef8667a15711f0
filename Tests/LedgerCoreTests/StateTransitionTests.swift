// Checks the state-transition function: transfers, each failure reason (unknown senders and zero amounts create nothing), nonce replay, overflow, self-transfer, many accounts, empty/null blocks and state hashes.
import LedgerCore
import LedgerCrypto
import XCTest

final class StateTransitionTests: XCTestCase {
    let alice = Fixtures.key(1)
    let bob = Fixtures.key(2)
    let carol = Fixtures.key(3)

    var genesisHeader: BlockHeader {
        BlockHeader(
            height: .zero, previousHash: .zero, batchDigest: Batch.null.digest, view: .zero, proposer: ReplicaID(0),
            timestamp: 1_000, txRoot: Merkle.root([]), stateHash: StateHash.genesis(accounts: initial),
            txCount: 0)
    }

    var initial: [Account] {
        [Account(publicKey: alice.publicKey, balance: 100), Account(publicKey: bob.publicKey, balance: 50)]
    }

    func run(_ txs: [Transaction], state: inout AccountState, previous: BlockHeader, timestamp: UInt64 = 2_000) -> BlockExecution {
        let batch = Batch(view: View(0), timestamp: timestamp, transactions: txs)
        let execution = StateTransition.execute(batch: batch, previous: previous, proposer: ReplicaID(0), accounts: state,
                                                membership: Fixtures.membership, rules: Fixtures.rules)
        state.apply(execution)
        return execution
    }

    func testSuccessfulTransferMovesMoneyAndBumpsTheNonce() {
        var state = AccountState(accounts: initial)
        let tx = Fixtures.transfer(from: alice, to: bob, amount: 30, nonce: 0)
        let e = run([tx], state: &state, previous: genesisHeader)
        XCTAssertEqual(e.receipts, [Receipt(txHash: tx.hash, index: 0, status: .success)])
        XCTAssertEqual(state.account(alice.publicKey), Account(publicKey: alice.publicKey, balance: 70, nonce: 1))
        XCTAssertEqual(state.account(bob.publicKey), Account(publicKey: bob.publicKey, balance: 80, nonce: 0))
        XCTAssertEqual(e.changedAccounts.map(\.publicKey), [alice.publicKey, bob.publicKey].sorted())
        let h = e.block.header
        XCTAssertEqual(h.height, Height(1))
        XCTAssertEqual(h.previousHash, genesisHeader.hash)
        XCTAssertEqual(h.txCount, 1)
        XCTAssertEqual(h.txRoot, Merkle.root([tx.hash]))
        XCTAssertEqual(h.timestamp, 2_000)
        XCTAssertEqual(h.stateHash, StateHash.next(previous: genesisHeader.stateHash, changedAccounts: e.changedAccounts))
        XCTAssertTrue(e.block.isConsistent)
        XCTAssertEqual(state.totalBalance, 150)
    }

    func testNewRecipientIsCreatedWithNonceZero() {
        var state = AccountState(accounts: initial)
        _ = run([Fixtures.transfer(from: alice, to: carol, amount: 10, nonce: 0)], state: &state, previous: genesisHeader)
        XCTAssertEqual(state.account(carol.publicKey), Account(publicKey: carol.publicKey, balance: 10, nonce: 0))
    }

    func testEachFailureReasonChangesNothing() {
        let cases: [(Transaction, FailureReason)] = [
            (Fixtures.transfer(from: alice, to: alice, amount: 1, nonce: 0), .selfTransfer),
            (Fixtures.transfer(from: alice, to: bob, amount: 1, nonce: 5), .badNonce(expected: 0, got: 5)),
            (Fixtures.transfer(from: alice, to: bob, amount: 101, nonce: 0), .insufficientBalance(balance: 100, amount: 101)),
            (Fixtures.transfer(from: carol, to: bob, amount: 1, nonce: 0), .unknownSender),
            (Fixtures.transfer(from: alice, to: bob, amount: 0, nonce: 0), .zeroAmount),
            (Fixtures.transfer(from: carol, to: bob, amount: 0, nonce: 0), .zeroAmount),
        ]
        for (tx, reason) in cases {
            var state = AccountState(accounts: initial)
            let before = state
            let e = run([tx], state: &state, previous: genesisHeader)
            XCTAssertEqual(e.receipts, [Receipt(txHash: tx.hash, index: 0, status: .failed(reason))], "\(reason)")
            XCTAssertEqual(state, before, "\(reason)")
            XCTAssertTrue(e.changedAccounts.isEmpty)
            XCTAssertEqual(e.block.header.stateHash, StateHash.next(previous: genesisHeader.stateHash, changedAccounts: []))
        }
    }

    func testAnUnknownSenderGetsNoAccountAndNoNonceWhateverItSends() {
        // What a never-funded key used to get from a zero-amount transfer: an account with nonce 1.
        var state = AccountState(accounts: initial)
        let zero = Fixtures.transfer(from: carol, to: bob, amount: 0, nonce: 0)
        let some = Fixtures.transfer(from: carol, to: bob, amount: 5, nonce: 0)
        let e = run([zero, some], state: &state, previous: genesisHeader)
        XCTAssertEqual(e.receipts.map(\.status), [.failed(.zeroAmount), .failed(.unknownSender)])
        XCTAssertNil(state.account(carol.publicKey), "no account is created for the sender")
        XCTAssertEqual(state.account(bob.publicKey), Account(publicKey: bob.publicKey, balance: 50, nonce: 0), "nor is the recipient credited")
        XCTAssertTrue(e.changedAccounts.isEmpty)
    }

    func testASenderFundedEarlierInTheBlockIsKnown() {
        // Known means "in the state this transaction executes on", in batch order, at every replica alike.
        var state = AccountState(accounts: initial)
        let early = Fixtures.transfer(from: carol, to: bob, amount: 1, nonce: 0)
        let funding = Fixtures.transfer(from: alice, to: carol, amount: 10, nonce: 0)
        let late = Fixtures.transfer(from: carol, to: bob, amount: 1, nonce: 0)
        let e = run([early, funding, late], state: &state, previous: genesisHeader)
        XCTAssertEqual(e.receipts.map(\.status), [.failed(.unknownSender), .success, .success])
        XCTAssertEqual(state.account(carol.publicKey), Account(publicKey: carol.publicKey, balance: 9, nonce: 1))
    }

    func testAnAccountSpentToZeroStaysKnown() {
        var state = AccountState(accounts: initial)
        let all = Fixtures.transfer(from: bob, to: alice, amount: 50, nonce: 0)
        let more = Fixtures.transfer(from: bob, to: alice, amount: 1, nonce: 1)
        let e = run([all, more], state: &state, previous: genesisHeader)
        XCTAssertEqual(e.receipts.map(\.status), [.success, .failed(.insufficientBalance(balance: 0, amount: 1))])
        XCTAssertEqual(state.account(bob.publicKey), Account(publicKey: bob.publicKey, balance: 0, nonce: 1))
    }

    func testOverflowAtUInt64MaxFailsAndChangesNothing() {
        let rich = [Account(publicKey: alice.publicKey, balance: 10), Account(publicKey: bob.publicKey, balance: .max - 5)]
        var state = AccountState(accounts: rich)
        let tooMuch = Fixtures.transfer(from: alice, to: bob, amount: 6, nonce: 0)
        let justRight = Fixtures.transfer(from: alice, to: bob, amount: 5, nonce: 0)
        let e = run([tooMuch, justRight], state: &state, previous: genesisHeader)
        XCTAssertEqual(e.receipts[0].status, .failed(.overflow(recipientBalance: .max - 5, amount: 6)))
        XCTAssertEqual(e.receipts[1].status, .success)  // the failed one did not use nonce 0
        XCTAssertEqual(state.account(bob.publicKey)?.balance, .max)
        XCTAssertEqual(state.account(alice.publicKey), Account(publicKey: alice.publicKey, balance: 5, nonce: 1))
    }

    func testReplayedNonceFailsInTheSameAndALaterBlock() {
        var state = AccountState(accounts: initial)
        let first = Fixtures.transfer(from: alice, to: bob, amount: 10, nonce: 0)
        let second = Fixtures.transfer(from: alice, to: bob, amount: 11, nonce: 0)
        let e1 = run([first, second], state: &state, previous: genesisHeader)
        XCTAssertEqual(e1.receipts.map(\.status), [.success, .failed(.badNonce(expected: 1, got: 0))])
        let e2 = run([first], state: &state, previous: e1.block.header)
        XCTAssertEqual(e2.receipts.map(\.status), [.failed(.badNonce(expected: 1, got: 0))])
        XCTAssertEqual(e2.block.header.height, Height(2))
        XCTAssertEqual(e2.block.header.previousHash, e1.block.hash)
        XCTAssertEqual(state.account(alice.publicKey)?.balance, 90)
    }

    func testTransfersWithinABlockSeeEachOthersEffects() {
        var state = AccountState(accounts: initial)
        let txs = [
            Fixtures.transfer(from: alice, to: carol, amount: 40, nonce: 0),
            Fixtures.transfer(from: carol, to: bob, amount: 15, nonce: 0),
            Fixtures.transfer(from: alice, to: bob, amount: 60, nonce: 1),  // alice has 60 left
            Fixtures.transfer(from: alice, to: bob, amount: 1, nonce: 2),  // now she has 0
        ]
        let e = run(txs, state: &state, previous: genesisHeader)
        XCTAssertEqual(
            e.receipts.map(\.status),
            [.success, .success, .success, .failed(.insufficientBalance(balance: 0, amount: 1))])
        XCTAssertEqual(state.account(carol.publicKey), Account(publicKey: carol.publicKey, balance: 25, nonce: 1))
        XCTAssertEqual(state.account(bob.publicKey)?.balance, 125)
        XCTAssertEqual(state.totalBalance, 150)
        XCTAssertEqual(e.receipts.map(\.index), [0, 1, 2, 3])
    }

    func testNullBatchGivesAnEmptyBlockWithThePreviousTimestamp() {
        var state = AccountState(accounts: initial)
        let e1 = run([Fixtures.transfer(from: alice, to: bob, amount: 1, nonce: 0)], state: &state, previous: genesisHeader, timestamp: 5_000)
        let null = StateTransition.execute(batch: .null, previous: e1.block.header, proposer: ReplicaID(1), accounts: state,
                                             membership: Fixtures.membership, rules: Fixtures.rules)
        XCTAssertEqual(null.block.header.timestamp, 5_000)
        XCTAssertEqual(null.block.header.txCount, 0)
        XCTAssertEqual(null.block.header.txRoot, Merkle.root([]))
        XCTAssertEqual(null.block.header.batchDigest, Batch.null.digest)
        XCTAssertEqual(null.block.header.height, Height(2))
        XCTAssertEqual(null.block.header.proposer, ReplicaID(1))
        XCTAssertTrue(null.changedAccounts.isEmpty)
        XCTAssertNotEqual(null.block.header.stateHash, e1.block.header.stateHash)
    }

    func testManyAccountsAndStateHashDeterminism() {
        var rng = SeededGenerator(seed: 99)
        let keys = (0..<1_000).map { _ in Fixtures.key(using: &rng) }
        let funded = keys.prefix(10).map { Account(publicKey: $0.publicKey, balance: 1_000_000) }
        var txs: [Transaction] = []
        var nonces = [UInt64](repeating: 0, count: 10)
        for (i, key) in keys.enumerated() {
            let from = i % 10
            txs.append(Fixtures.transfer(from: keys[from], to: key, amount: UInt64(i + 1), nonce: nonces[from]))
            if from != i { nonces[from] += 1 }  // self-transfers (i < 10 with i == from) fail and keep the nonce
        }
        func replay(_ txs: [Transaction]) -> (AccountState, BlockExecution) {
            var state = AccountState(accounts: funded)
            let genesis = BlockHeader(
                height: .zero, previousHash: .zero, batchDigest: .zero, view: .zero, proposer: ReplicaID(0), timestamp: 0,
                txRoot: Merkle.root([]), stateHash: StateHash.genesis(accounts: funded), txCount: 0)
            let e = run(txs, state: &state, previous: genesis)
            return (state, e)
        }
        let (state, e) = replay(txs)
        XCTAssertEqual(state.accounts.count, 1_000)
        XCTAssertEqual(e.receipts.filter(\.isSuccess).count, 990)
        XCTAssertEqual(e.changedAccounts.count, 1_000)
        XCTAssertEqual(e.changedAccounts, e.changedAccounts.sorted { $0.publicKey < $1.publicKey })
        XCTAssertEqual(state.totalBalance, 10_000_000)
        // Same history, same hashes.
        let (_, again) = replay(txs)
        XCTAssertEqual(again.block.header.stateHash, e.block.header.stateHash)
        XCTAssertEqual(again.block.hash, e.block.hash)
        // A different history (one amount changed) gives a different state hash.
        var other = txs
        other[500] = Fixtures.transfer(from: keys[0], to: keys[500], amount: 7, nonce: other[500].nonce)
        let (_, different) = replay(other)
        XCTAssertNotEqual(different.block.header.stateHash, e.block.header.stateHash)
    }

    func testStateHashIgnoresInputOrderButNotContent() {
        let a = Account(publicKey: alice.publicKey, balance: 1, nonce: 2)
        let b = Account(publicKey: bob.publicKey, balance: 3, nonce: 4)
        XCTAssertEqual(StateHash.genesis(accounts: [a, b]), StateHash.genesis(accounts: [b, a]))
        XCTAssertNotEqual(
            StateHash.genesis(accounts: [a, b]),
            StateHash.genesis(accounts: [a, Account(publicKey: bob.publicKey, balance: 3, nonce: 5)]))
        XCTAssertNotEqual(StateHash.next(previous: .zero, changedAccounts: [a]), StateHash.next(previous: .zero, changedAccounts: [b]))
    }
}
