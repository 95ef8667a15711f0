// Checks apply and every read against blocks made by the real executor, in a real database file under a temp dir.
import XCTest
import LedgerCore
import LedgerCrypto
import LedgerStore

final class StoreApplyTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.cleanUp() }

    func testNewDatabaseHoldsGenesis() throws {
        let chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let head = try store.head()
        XCTAssertEqual(head.height, Height(0))
        XCTAssertEqual(head.header, chain.genesis.header)
        XCTAssertEqual(head.header.stateHash, chain.genesis.stateHash)
        for account in chain.genesis.initialAccounts {
            XCTAssertEqual(try store.loadAccount(account.publicKey), account)
            XCTAssertEqual(store.account(account.publicKey), account)
        }
        XCTAssertNil(try store.loadAccount(SigningKey.generate().publicKey))
        XCTAssertEqual(try store.block(at: Height(0))?.transactions.count, 0)
        XCTAssertNil(try store.certificate(at: Height(0)))
        XCTAssertEqual(store.chainID, "store-test")
        XCTAssertEqual(store.genesisHash, chain.genesis.genesisHash)
    }

    func testApplyThenReadEverythingBack() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        for _ in 0..<5 {
            let execution = chain.next(txCount: 7, failing: true)
            XCTAssertEqual(try store.apply(execution, certificate: certificate(for: execution)), .applied)
        }
        let last = chain.executions.last!
        let head = try store.head()
        XCTAssertEqual(head.height, Height(5))
        XCTAssertEqual(head.hash, last.block.hash)

        for execution in chain.executions {
            let block = execution.block
            XCTAssertEqual(try store.block(at: block.height), block)
            XCTAssertEqual(try store.block(hash: block.hash), block)
            XCTAssertEqual(try store.certificate(at: block.height), certificate(for: execution))
            for (i, tx) in block.transactions.enumerated() {
                let stored = try XCTUnwrap(store.transaction(hash: tx.hash))
                XCTAssertEqual(stored.transaction, tx)
                XCTAssertEqual(stored.receipt, block.receipts[i])
                XCTAssertEqual(stored.height, block.height)
                XCTAssertEqual(stored.index, UInt32(i))
            }
        }
        // The failing transfer is stored with its failed receipt.
        let failed = last.block.receipts.last!
        XCTAssertFalse(failed.isSuccess)
        XCTAssertEqual(try store.transaction(hash: failed.txHash)?.receipt, failed)

        // Accounts equal the executor's in-memory state.
        for key in chain.keys {
            XCTAssertEqual(try store.loadAccount(key.publicKey), chain.state.account(key.publicKey))
        }
        let snapshot = try store.accounts(for: chain.keys.map(\.publicKey))
        XCTAssertEqual(snapshot, AccountState(accounts: chain.state.sortedAccounts))

        XCTAssertNil(try store.block(at: Height(6)))
        XCTAssertNil(try store.block(hash: Hash.blake2b256([1, 2, 3])))
        XCTAssertNil(try store.transaction(hash: Hash.blake2b256([1, 2, 3])))
    }

    func testHeadersRangeIsBoundedAndOrdered() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        for _ in 0..<6 { try store.apply(chain.next(txCount: 1), certificate: nil) }
        let headers = try store.headers(from: Height(2), count: 3)
        XCTAssertEqual(headers, chain.executions[1...3].map(\.block.header))
        XCTAssertEqual(try store.headers(from: Height(5), count: 10).map(\.height), [Height(5), Height(6)])
        XCTAssertEqual(try store.headers(from: Height(0), count: 1), [chain.genesis.header])
        XCTAssertEqual(try store.headers(from: Height(7), count: 5), [])
        XCTAssertThrowsStoreError(
            .rangeTooLarge(requested: StoreLimits.headersPerCallMax + 1, maximum: StoreLimits.headersPerCallMax),
            try store.headers(from: Height(0), count: StoreLimits.headersPerCallMax + 1))
    }

    func testTransactionsBySenderAndRecipientArePagedNewestFirst() throws {
        var chain = ChainBuilder(accounts: 4)
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        for _ in 0..<6 { try store.apply(chain.next(txCount: 4), certificate: nil) }
        let key = chain.keys[2].publicKey
        let allSent = chain.executions.flatMap { e in
            e.block.transactions.enumerated().filter { $0.element.sender == key }.map { (e.block.height, UInt32($0.offset), $0.element) }
        }.reversed()
        XCTAssertFalse(allSent.isEmpty)

        var collected: [StoredTransaction] = []
        var cursor: TransactionPosition? = nil
        while true {
            let page = try store.transactions(sender: key, before: cursor, limit: 2)
            XCTAssertLessThanOrEqual(page.count, 2)
            if page.isEmpty { break }
            collected += page
            cursor = page.last!.position
            // A cursor that does not move would page forever: stop once more came back than there is.
            guard collected.count <= allSent.count else { return XCTFail("paging does not end: \(collected.count) transactions so far") }
        }
        XCTAssertEqual(collected.map(\.transaction), allSent.map(\.2))
        XCTAssertEqual(collected.map(\.position), allSent.map { TransactionPosition(height: $0.0, index: $0.1) })

        let received = try store.transactions(recipient: key, limit: 100)
        let expectedReceived = chain.executions.flatMap(\.block.transactions).filter { $0.recipient.publicKey == key }
        XCTAssertEqual(received.map(\.transaction), expectedReceived.reversed())
        XCTAssertThrowsStoreError(
            .rangeTooLarge(requested: StoreLimits.transactionsPerPageMax + 1, maximum: StoreLimits.transactionsPerPageMax),
            try store.transactions(sender: key, limit: StoreLimits.transactionsPerPageMax + 1))
    }

    func testReapplyingTheSameBlockIsANoOp() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let first = chain.next(txCount: 3)
        let second = chain.next(txCount: 3)
        try store.apply(first, certificate: nil)
        try store.apply(second, certificate: certificate(for: second))
        let accountsBefore = try chain.keys.map { try store.loadAccount($0.publicKey) }

        XCTAssertEqual(try store.apply(first, certificate: nil), .alreadyStored)
        XCTAssertEqual(try store.apply(second, certificate: Array("other".utf8)), .alreadyStored)
        XCTAssertEqual(try store.head().hash, second.block.hash)
        XCTAssertEqual(try chain.keys.map { try store.loadAccount($0.publicKey) }, accountsBefore)
        // An existing certificate is kept; a missing one is filled in.
        XCTAssertEqual(try store.certificate(at: Height(2)), certificate(for: second))
        XCTAssertNil(try store.certificate(at: Height(1)))
        XCTAssertEqual(try store.apply(first, certificate: certificate(for: first)), .alreadyStored)
        XCTAssertEqual(try store.certificate(at: Height(1)), certificate(for: first))
    }

    func testDifferentBlockAtStoredHeightIsConflict() throws {
        var chain = ChainBuilder()
        var fork = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let ours = chain.next(txCount: 2)
        let theirs = fork.next(txCount: 3)
        XCTAssertNotEqual(ours.block.hash, theirs.block.hash)
        try store.apply(ours, certificate: nil)
        XCTAssertThrowsStoreError(
            .conflictingBlock(height: Height(1), existing: ours.block.hash, new: theirs.block.hash),
            try store.apply(theirs, certificate: nil))
        XCTAssertEqual(try store.head().hash, ours.block.hash)
    }

    func testGapAndWrongParentAreRefused() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let one = chain.next(txCount: 1)
        _ = chain.next(txCount: 1)
        let three = chain.next(txCount: 1)
        try store.apply(one, certificate: nil)
        XCTAssertThrowsStoreError(.heightGap(head: Height(1), got: Height(3)), try store.apply(three, certificate: nil))

        // Block 2 of another chain with the same genesis: right height, wrong parent.
        var fork = ChainBuilder()
        fork.next(txCount: 5)
        let forkTwo = fork.next(txCount: 1)
        XCTAssertThrowsStoreError(
            .doesNotExtendHead(height: Height(2), expectedPrevious: one.block.hash, found: forkTwo.block.header.previousHash),
            try store.apply(forkTwo, certificate: nil))
        XCTAssertEqual(try store.head().height, Height(1))
        for tx in forkTwo.block.transactions { XCTAssertNil(try store.transaction(hash: tx.hash)) }
    }

    func testApplyManyAppliesInOrderAndStopsAtFirstError() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let blocks = (0..<4).map { _ in chain.next(txCount: 2) }
        XCTAssertEqual(try store.apply(blocks.map { ($0, certificate: certificate(for: $0)) }), Array(repeating: .applied, count: 4))
        XCTAssertEqual(try store.head().height, Height(4))
        let extra = chain.next(txCount: 1)
        _ = chain.next(txCount: 1)
        let gap = chain.next(txCount: 1)
        XCTAssertThrowsStoreError(
            .heightGap(head: Height(5), got: Height(7)),
            try store.apply([(extra, certificate: nil), (gap, certificate: nil)]))
        XCTAssertEqual(try store.head().height, Height(5))
    }

    func testReopenKeepsEverything() throws {
        var chain = ChainBuilder()
        let path = dir.path("ledger.db")
        do {
            let store = try LedgerStore.open(path: path, genesis: chain.genesis)
            for _ in 0..<3 {
                let e = chain.next(txCount: 4)
                try store.apply(e, certificate: certificate(for: e))
            }
            try store.saveCheckpoint(StoredCheckpoint(sequenceNumber: SequenceNumber(2), blockHash: chain.executions[1].block.hash, proof: [9, 9]))
            store.close()
            XCTAssertThrowsStoreError(.closed, try store.head())
        }
        let reopened = try LedgerStore.open(path: path, genesis: chain.genesis)
        XCTAssertEqual(try reopened.head().hash, chain.executions.last!.block.hash)
        for e in chain.executions {
            XCTAssertEqual(try reopened.block(at: e.block.height), e.block)
            XCTAssertEqual(try reopened.certificate(at: e.block.height), certificate(for: e))
        }
        for key in chain.keys {
            XCTAssertEqual(try reopened.loadAccount(key.publicKey), chain.state.account(key.publicKey))
        }
        XCTAssertEqual(try reopened.checkpoint(at: SequenceNumber(2))?.proof, [9, 9])
        // And it keeps going from where it was.
        XCTAssertEqual(try reopened.apply(chain.next(txCount: 2), certificate: nil), .applied)
    }

    func testCheckpointsRoundTrip() throws {
        let chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        XCTAssertNil(try store.latestCheckpoint())
        let a = StoredCheckpoint(sequenceNumber: SequenceNumber(100), blockHash: Hash.blake2b256([1]), proof: [1, 2, 3])
        let b = StoredCheckpoint(sequenceNumber: SequenceNumber(200), blockHash: Hash.blake2b256([2]), proof: [4])
        try store.saveCheckpoint(b)
        try store.saveCheckpoint(a)
        XCTAssertEqual(try store.checkpoint(at: SequenceNumber(100)), a)
        XCTAssertEqual(try store.checkpoint(at: SequenceNumber(200)), b)
        XCTAssertNil(try store.checkpoint(at: SequenceNumber(150)))
        XCTAssertEqual(try store.latestCheckpoint(), b)
    }

    func testSetCertificate() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        try store.apply(chain.next(txCount: 1), certificate: nil)
        XCTAssertTrue(try store.setCertificate([7, 7], at: Height(1)))
        XCTAssertEqual(try store.certificate(at: Height(1)), [7, 7])
        XCTAssertFalse(try store.setCertificate([7, 7], at: Height(9)))
    }

    /// A Byzantine primary can order an already-committed transaction again; it fails on its
    /// nonce, and the block must still be stored (no unique constraint may stop the chain).
    func testReplayedTransactionInALaterBlockIsStored() throws {
        var chain = ChainBuilder()
        let store = try LedgerStore.open(path: dir.path("ledger.db"), genesis: chain.genesis)
        let first = chain.next(txCount: 2)
        let replayed = first.block.transactions[0]
        let second = chain.next(transactions: [replayed])
        XCTAssertFalse(second.block.receipts[0].isSuccess)
        try store.apply(first, certificate: nil)
        XCTAssertEqual(try store.apply(second, certificate: nil), .applied)
        // Lookup by hash gives the occurrence that executed; the block keeps its failed copy.
        let stored = try XCTUnwrap(store.transaction(hash: replayed.hash))
        XCTAssertEqual(stored.height, Height(1))
        XCTAssertTrue(stored.receipt.isSuccess)
        XCTAssertEqual(try store.block(at: Height(2)), second.block)
        XCTAssertEqual(try store.transactions(sender: replayed.sender, limit: 10).map(\.height).first, Height(2))
    }
}
