import LedgerCore
import LedgerCrypto

/// A wallet in the simulation: a real Ed25519 key that signs transfers with consecutive nonces.
///
/// The key is derived from the run's seed, so the same seed makes the same transactions
/// (Ed25519 signing is deterministic). A client keeps at most
/// `SimulationLimits.clientMaxInFlight` transactions uncommitted and re-sends them to every
/// replica until one commits, like a wallet retrying against a node that restarted.
public struct SimulatedClient: Sendable {
    /// The client's number in the run (0-based).
    public let index: Int
    /// The signing key (real Ed25519).
    public let key: SigningKey
    /// The client's account address.
    public let address: Address
    /// The nonce the next new transaction uses.
    public private(set) var nextNonce: UInt64 = 0
    /// Submitted, not yet seen committed, by hash.
    public private(set) var inFlight: [Digest: Transaction] = [:]
    /// Every transaction this client made, in order.
    public private(set) var submittedCount = 0

    /// A client whose key seed is drawn from `random`.
    public init(index: Int, random: inout SimulationRandom) {
        var seed: [UInt8] = []
        for _ in 0..<4 {
            let word = random.next()
            for shift in stride(from: 0, to: 64, by: 8) { seed.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        self.index = index
        // 32 bytes always make a seed.
        key = try! SigningKey(seed: seed)
        address = Address(publicKey: key.publicKey)
    }

    /// `true` when the client may submit another new transaction.
    public var canSubmit: Bool { inFlight.count < SimulationLimits.clientMaxInFlight }

    /// Signs the next transfer of `amount` to `recipient` on `chainID` and tracks it as in flight.
    public mutating func makeTransfer(to recipient: Address, amount: UInt64, chainID: String) -> Transaction {
        // The chain id comes from the simulator's own scenario and memo is empty: cannot fail.
        let tx = try! Transaction.signed(
            chainID: chainID, sender: key, recipient: recipient, amount: amount, nonce: nextNonce)
        nextNonce += 1
        submittedCount += 1
        inFlight[tx.hash] = tx
        return tx
    }

    /// The transaction with `hash` was committed by an honest replica.
    public mutating func markCommitted(_ hash: Digest) {
        inFlight.removeValue(forKey: hash)
    }

    /// The uncommitted transactions in nonce order (what a retry re-sends).
    public var pending: [Transaction] { inFlight.values.sorted { $0.nonce < $1.nonce } }

    /// Takes the account's nonce from executed state after a failed transaction, so later
    /// transfers are valid again.
    public mutating func resynchronise(accountNonce: UInt64) {
        if accountNonce > nextNonce || inFlight.isEmpty { nextNonce = max(accountNonce, nextNonce) }
    }
}
