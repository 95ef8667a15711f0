// Shared helpers: a deterministic chain (genesis, keys, blocks from the real executor) and temporary directories.
import Foundation
import XCTest
import LedgerCore
import LedgerCrypto
import LedgerStore

/// A deterministic chain: the same seed gives the same genesis and the same blocks, in any process.
struct ChainBuilder {
    let genesis: Genesis
    let keys: [SigningKey]
    /// The genesis validators' keys (they approve validator-set changes).
    let validatorKeys: [SigningKey]
    private(set) var state: AccountState
    private(set) var membership: Membership
    private(set) var previous: BlockHeader
    private(set) var executions: [BlockExecution] = []
    private var nonces: [PublicKey: UInt64] = [:]

    /// `accounts` funded accounts on chain `chainID`; `seed` varies the keys.
    init(chainID: String = "store-test", accounts: Int = 8, seed: UInt8 = 1) {
        func key(_ a: UInt8, _ b: UInt8) -> SigningKey {
            var bytes = [UInt8](repeating: seed, count: 32)
            bytes[0] = a
            bytes[1] = b
            return try! SigningKey(seed: bytes)
        }
        let signers = (0..<4).map { key(0xaa, UInt8($0)) }
        validatorKeys = signers
        let validators = (0..<4).map { i in
            Validator(id: ReplicaID(i), publicKey: signers[i].publicKey, p2pAddress: "127.0.0.1:\(27000 + i)")
        }
        keys = (0..<accounts).map { key(0x01, UInt8($0)) }
        let funded = keys.map { GenesisAccount(address: Address(publicKey: $0.publicKey), balance: 1_000_000_000) }
        genesis = try! Genesis(
            chainID: chainID, genesisTimeMs: 1_700_000_000_000, validators: validators, accounts: funded,
            consensus: .testDefaults, isTestNetwork: true)
        state = genesis.initialState
        membership = Membership(genesis: genesis)
        previous = genesis.header
    }

    /// Executes a batch of `txCount` transfers (plus, with `failing`, one with a bad nonce) and returns the block.
    @discardableResult
    mutating func next(txCount: Int, failing: Bool = false) -> BlockExecution {
        var txs: [Transaction] = []
        let height = previous.height.rawValue + 1
        for i in 0..<txCount {
            let from = keys[(Int(height) + i) % keys.count]
            let to = keys[(Int(height) + i + 1) % keys.count]
            let nonce = nonces[from.publicKey, default: 0]
            nonces[from.publicKey] = nonce + 1
            txs.append(try! Transaction.signed(
                chainID: genesis.chainID, sender: from, recipient: Address(publicKey: to.publicKey),
                amount: UInt64(1 + i), nonce: nonce))
        }
        if failing {
            let from = keys[0]
            txs.append(try! Transaction.signed(
                chainID: genesis.chainID, sender: from, recipient: Address(publicKey: keys[1].publicKey),
                amount: 5, nonce: 1_000_000 + height))
        }
        return next(transactions: txs)
    }

    /// Executes a batch of exactly `txs` (for replays and other hand-made batches).
    @discardableResult
    mutating func next(transactions txs: [Transaction], changes: [ValidatorSetChange] = []) -> BlockExecution {
        let batch = Batch(view: View(0), timestamp: previous.timestamp + 1_000, transactions: txs, changes: changes)
        let execution = StateTransition.execute(batch: batch, previous: previous, proposer: ReplicaID(0), accounts: state,
                                                membership: membership, rules: ChangeRules(genesis: genesis))
        state.apply(execution)
        membership = execution.membership
        previous = execution.block.header
        executions.append(execution)
        return execution
    }
}

/// A fresh directory under the system temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func cleanUp() { try? FileManager.default.removeItem(at: url) }
}

/// A sample commit certificate (opaque bytes to the store).
func certificate(for execution: BlockExecution) -> [UInt8] {
    Array("cert:".utf8) + execution.block.hash.bytes
}

/// Asserts that `body` throws exactly `expected`.
func XCTAssertThrowsStoreError<T>(
    _ expected: StoreError, _ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertEqual(error as? StoreError, expected, file: file, line: line)
    }
}
