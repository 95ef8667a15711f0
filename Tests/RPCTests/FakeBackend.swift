// Test support: an in-memory RPCBackend with a real genesis and real signed blocks, whose chain tests can extend.
import Foundation
import LedgerCore
import LedgerCrypto
import RPC
import Synchronization

/// Keys and a genesis shared by the RPC tests (public test seeds; never use them for anything else).
enum Fixture {
    static let chainID = "rpc-tests"
    static func key(_ byte: UInt8) -> SigningKey { try! SigningKey(seed: [UInt8](repeating: byte, count: 32)) }
    static let faucet = key(0x20)
    static let validatorKeys = (0..<4).map { key(0x10 + UInt8($0)) }
    static let genesis: Genesis = try! Genesis(
        chainID: chainID, genesisTimeMs: 1_700_000_000_000,
        validators: validatorKeys.enumerated().map {
            Validator(id: ReplicaID($0.offset), publicKey: $0.element.publicKey, p2pAddress: "127.0.0.1:\(26600 + $0.offset)")
        },
        accounts: [GenesisAccount(address: Address(publicKey: faucet.publicKey), balance: 1_000_000_000_000_000)],
        consensus: .testDefaults, isTestNetwork: true)

    static func transfer(nonce: UInt64, amount: UInt64 = 5, to recipient: Address? = nil, chainID: String = chainID) -> Transaction {
        try! Transaction.signed(chainID: chainID, sender: faucet,
                                recipient: recipient ?? Address(publicKey: key(0x30).publicKey), amount: amount, nonce: nonce)
    }
}

/// An in-memory node: a chain of executed blocks, a mempool admitting by nonce, block subscribers.
final class FakeBackend: RPCBackend, @unchecked Sendable {
    struct State {
        var blocks: [Block] = []  // index 0 = height 1
        var accounts = Fixture.genesis.initialState
        var mempool: [Transaction] = []
        var subscribers: [UInt64: AsyncStream<Block>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        var isShuttingDown = false
        /// Sizes of the `submitTransactions` groups received, in order.
        var submissionGroups: [Int] = []
    }

    let state = Mutex(State())
    let genesis = Fixture.genesis

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Executes the waiting transactions (or `txs`) as the next block and tells subscribers.
    @discardableResult
    func commitBlock(_ txs: [Transaction]? = nil) -> Block {
        let (block, subscribers) = state.withLock { s -> (Block, [AsyncStream<Block>.Continuation]) in
            let chosen = txs ?? s.mempool
            s.mempool.removeAll { tx in chosen.contains(tx) }
            let previous = s.blocks.last?.header ?? genesis.header
            let batch = Batch(view: .zero, timestamp: previous.timestamp + 1, transactions: chosen)
            let execution = StateTransition.execute(batch: batch, previous: previous, proposer: ReplicaID(0), accounts: s.accounts,
                                                    membership: Membership(genesis: genesis), rules: ChangeRules(genesis: genesis))
            s.accounts.apply(execution)
            s.blocks.append(execution.block)
            return (execution.block, Array(s.subscribers.values))
        }
        for c in subscribers { c.yield(block) }
        return block
    }

    func status() async -> NodeStatus {
        let (height, hash) = state.withLock { s in (UInt64(s.blocks.count), s.blocks.last?.hash ?? genesis.header.hash) }
        return NodeStatus(
            chainID: genesis.chainID, nodeID: ReplicaID(2), height: Height(height), latestBlockHash: hash,
            latestBlockTimeMs: 7, view: View(UInt64.max), primary: ReplicaID(3), isCatchingUp: true,
            peers: [ReplicaID(0), ReplicaID(1)], isChangingView: false, mempoolSize: 0,
            openSequences: [OpenSequenceStatus(
                sequence: SequenceNumber(height + 1), view: View(3), digest: Hash.blake2b256([1]),
                preparesFrom: [ReplicaID(3), ReplicaID(2)], commitsFrom: [],
                missingPrepares: [ReplicaID(0), ReplicaID(1)], missingCommits: (0..<4).map(ReplicaID.init))])
    }

    func netInfo() async -> NetInfo {
        NetInfo(isListening: true, p2pListen: "127.0.0.1:26602", peers: [
            PeerStatus(id: 0, address: "127.0.0.1:26600", isOutboundConnected: true, isInboundConnected: false),
        ])
    }

    func submitTransaction(_ encoded: [UInt8]) async throws(RPCError) -> Digest {
        let tx: Transaction
        do { tx = try Transaction.decode(encoded) } catch {
            throw .transactionRejected(reason: "malformed", message: "\(error)")
        }
        return try state.withLock { (s: inout State) throws(RPCError) -> Digest in
            if s.isShuttingDown { throw RPCError.shuttingDown }
            if s.mempool.contains(tx) || s.blocks.contains(where: { $0.transactions.contains(tx) }) { return tx.hash }
            let next = (s.accounts.account(tx.sender)?.nonce ?? 0) + UInt64(s.mempool.filter { $0.sender == tx.sender }.count)
            guard tx.nonce >= next else {
                throw RPCError.transactionRejected(reason: "nonce_too_low", message: "nonce \(tx.nonce) already used; next is \(next)",
                                                   details: [("expected", String(next)), ("got", String(tx.nonce))])
            }
            s.mempool.append(tx)
            return tx.hash
        }
    }

    func submitTransactionAsync(_ encoded: [UInt8]) async throws(RPCError) -> Digest {
        try await submitTransaction(encoded)
    }

    func submitTransactions(_ encoded: [[UInt8]]) async -> [Result<Digest, RPCError>] {
        state.withLock { $0.submissionGroups.append(encoded.count) }
        var results: [Result<Digest, RPCError>] = []
        for bytes in encoded {
            do throws(RPCError) { results.append(.success(try await submitTransaction(bytes))) } catch { results.append(.failure(error)) }
        }
        return results
    }

    /// The fake chain takes no validator-set change.
    func submitChange(_ encoded: [UInt8]) async throws(RPCError) -> Digest {
        throw .changeRejected(reason: "full", message: "the fake backend takes no change")
    }

    /// Epoch 0 throughout: the fake chain never executes a validator-set change.
    func validatorSet(at height: Height?) async throws(RPCError) -> ValidatorSetInfo {
        let head = Height(UInt64(state.withLock { $0.blocks.count }))
        if let height, height > head { throw .notFound("validators", "no block at height \(height.rawValue) yet (head \(head.rawValue))") }
        return ValidatorSetInfo(height: height ?? head, epoch: 0, validators: genesis.validators, pending: nil)
    }

    func account(_ address: Address) async throws(RPCError) -> Account {
        state.withLock { $0.accounts.account(address.publicKey) } ?? Account(publicKey: address.publicKey, balance: 0, nonce: 0)
    }

    func block(at height: Height?) async throws(RPCError) -> Block? {
        state.withLock { s in
            let h = height?.rawValue ?? UInt64(s.blocks.count)
            guard h >= 1, h <= UInt64(s.blocks.count) else { return nil }
            return s.blocks[Int(h - 1)]
        }
    }

    func block(hash: Digest) async throws(RPCError) -> Block? {
        state.withLock { $0.blocks.first { $0.hash == hash } }
    }

    func latestHeight() async throws(RPCError) -> Height { Height(UInt64(state.withLock { $0.blocks.count })) }

    func headers(from start: Height, count: Int) async throws(RPCError) -> [BlockHeader] {
        state.withLock { s in
            s.blocks.filter { $0.height >= start }.prefix(count).map(\.header)
        }
    }

    func commit(at height: Height?) async throws(RPCError) -> CommitInfo? {
        guard let block = try await block(at: height) else { return nil }
        let sig = Fixture.validatorKeys[1].sign(block.hash.hex.utf8.map { $0 })
        return CommitInfo(blockHash: block.hash, header: block.header, certificate: [1, 2, 3], view: View(0),
                          signatures: [(validator: ReplicaID(1), signature: sig)])
    }

    func transaction(hash: Digest) async throws(RPCError) -> TransactionLookup {
        let (blocks, pending) = state.withLock { ($0.blocks, $0.mempool.first { $0.hash == hash }) }
        for block in blocks {
            if let i = block.transactions.firstIndex(where: { $0.hash == hash }) {
                return TransactionLookup.included(in: block, at: i)!
            }
        }
        if let pending { return TransactionLookup(hash: hash, status: .pending, transaction: pending) }
        return TransactionLookup(hash: hash, status: .unknown)
    }

    func unconfirmedTransactions(limit: Int) async -> (total: Int, transactions: [Transaction]) {
        state.withLock { ($0.mempool.count, Array($0.mempool.prefix(limit))) }
    }

    func evidence() async -> [EvidenceInfo] {
        [EvidenceInfo(offender: ReplicaID(3), kind: "prepare", view: View(2), sequence: SequenceNumber(9),
                      first: Hash.blake2b256([1]), second: Hash.blake2b256([2]), firstSignature: .zero, secondSignature: .zero)]
    }

    func subscribeBlocks(buffer: Int) -> BlockFeed {
        let (stream, continuation) = AsyncStream<Block>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        let id = state.withLock { s -> UInt64 in
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = continuation
            return s.nextSubscriber
        }
        let cancel: @Sendable () -> Void = { [weak self] in
            let c = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
            c?.finish()
        }
        continuation.onTermination = { _ in cancel() }
        return BlockFeed(blocks: stream, cancel: cancel)
    }
}
