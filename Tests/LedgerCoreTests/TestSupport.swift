// Shared helpers for the LedgerCore tests: a seeded generator, fixed keys and small builders.
import LedgerCore
import LedgerCrypto
import XCTest

/// SplitMix64: a tiny seeded generator, so every random test replays from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

enum Fixtures {
    static let chainID = "ledger-testnet"

    /// Epoch 0 of four validators with keys of seeds 1...4 (what executing a change is checked against).
    static let membership = Membership(
        epoch: 0, validators: (0..<4).map { Validator(id: ReplicaID($0), publicKey: key(UInt8($0 + 1)).publicKey, p2pAddress: "10.0.0.\($0 + 1):26656") },
        firstHeight: Height(1), pending: nil)

    /// The rules changes execute under in these tests (window 64, checkpoint every 16).
    static let rules = ChangeRules(chainID: chainID, parameters: ConsensusParameters(
        maxBatchTransactions: 1_000, maxBatchBytes: 1_048_576, batchDelayMs: 20, checkpointInterval: 16, window: 64,
        viewChangeTimeoutMs: 2_000, maxClockDriftMs: 5_000))

    /// A deterministic key: seed = 32 copies of `byte`.
    static func key(_ byte: UInt8) -> SigningKey { try! SigningKey(seed: [UInt8](repeating: byte, count: 32)) }

    /// A deterministic key from a generator.
    static func key(using rng: inout SeededGenerator) -> SigningKey { try! SigningKey(seed: rng.bytes(32)) }

    static func address(_ key: SigningKey) -> Address { Address(publicKey: key.publicKey) }

    static func transfer(
        from sender: SigningKey, to recipient: SigningKey, amount: UInt64, nonce: UInt64, memo: [UInt8] = [],
        chainID: String = chainID
    ) -> Transaction {
        try! Transaction.signed(
            chainID: chainID, sender: sender, recipient: address(recipient), amount: amount, nonce: nonce, memo: memo)
    }

    /// 32 bytes that are not a valid Ed25519 public key (y = 2^255 − 1 is not canonical).
    static let invalidKeyBytes = [UInt8](repeating: 0xff, count: 31) + [0x7f]
    /// The encoding of a low-order point (y = 0, order 4).
    static let lowOrderKeyBytes = [UInt8](repeating: 0, count: 32)
}

extension XCTestCase {
    /// Asserts that `body` throws exactly `expected`.
    func assertThrows<E: Error & Equatable, T>(
        _ expected: E, file: StaticString = #filePath, line: UInt = #line, _ body: () throws(E) -> T
    ) {
        do {
            let value = try body()
            XCTFail("expected \(expected), got value \(value)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    /// Returns the error `body` throws, failing the test if it returns.
    func thrownError<E: Error, T>(file: StaticString = #filePath, line: UInt = #line, _ body: () throws(E) -> T) -> E? {
        do {
            let value = try body()
            XCTFail("expected an error, got \(value)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }
}
