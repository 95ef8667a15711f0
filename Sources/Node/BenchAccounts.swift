import LedgerCore
import LedgerCrypto

/// The deterministic accounts a benchmark network funds in genesis (`ledger-node testnet --bench-accounts N
/// --bench-seed S`) and the load generator signs with (`ledger-bench load`): both derive the same keys here, so
/// no key file has to travel between them.
///
/// `seed_i = BLAKE2b-256("ledger-bench/account/v1" ‖ S as 8 bytes big-endian ‖ i as 8 bytes big-endian)`.
/// These keys are public knowledge: use them on test networks only.
public enum BenchAccounts {
    /// The domain-separation prefix of every derived seed (bump the version to change the derivation).
    public static let domain = "ledger-bench/account/v1"
    /// Most bench accounts one genesis may fund (below `Limits.genesisAccountsMax`, leaving room for the faucet).
    public static let maxAccounts = 50_000
    /// The genesis balance of each bench account: enough for millions of unit transfers, far from overflow.
    public static let balance: UInt64 = 1_000_000_000_000

    /// The 32-byte Ed25519 seed of account `index` under bench seed `benchSeed`.
    public static func seed(benchSeed: UInt64, index: Int) -> [UInt8] {
        precondition(index >= 0, "bench account index must be non-negative")
        var input = Array(domain.utf8)
        input.reserveCapacity(input.count + 16)
        appendBigEndian(benchSeed, to: &input)
        appendBigEndian(UInt64(index), to: &input)
        return Hash.blake2b256(input).bytes
    }

    /// The signing key of account `index` under bench seed `benchSeed`.
    public static func signingKey(benchSeed: UInt64, index: Int) -> SigningKey {
        // A 32-byte seed is always accepted by libsodium.
        try! SigningKey(seed: seed(benchSeed: benchSeed, index: index))
    }

    /// The genesis entries funding accounts `0..<count` with `balance` each.
    public static func genesisAccounts(benchSeed: UInt64, count: Int, balance: UInt64 = balance) -> [GenesisAccount] {
        (0..<count).map { GenesisAccount(address: Address(publicKey: signingKey(benchSeed: benchSeed, index: $0).publicKey), balance: balance) }
    }

    private static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
