import ArgumentParser
import CSodium
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore

/// `ledger-bench micro`: the foundation's building blocks, one figure each.
struct Micro: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ed25519, canonical encoding, transaction checks and SQLite block apply, per second.",
        discussion: """
            Targets (2-core machine, release build): decode ≥ 1M tx/s; block apply ≥ 100k tx/s at \
            1000 tx/block with WAL; our verify within 10 % of raw libsodium.
            """
    )

    @Option(help: "Seconds to run each measurement.")
    var seconds: Double = 1.0

    @Option(help: "Blocks applied per SQLite measurement.")
    var blocks: Int = 30

    @Option(help: "SQLite durability for the apply benchmark: full (the node's default) or normal.")
    var synchronous: String = "full"

    @Option(help: "Directory for the scratch database (removed afterwards).")
    var scratch: String = NSTemporaryDirectory()

    mutating func run() throws {
        #if DEBUG
        print("warning: debug build; run `swift build -c release` (or scripts/bench micro) for real figures\n")
        #endif
        guard let sync = StoreConfiguration.Synchronous(rawValue: synchronous.uppercased()) else {
            throw ValidationError("--synchronous must be 'full' or 'normal'")
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("ledger-bench micro — \(cores) cores, \(seconds) s per figure\n")
        var table: [(String, Double, String)] = []

        // Ed25519
        let key = try SigningKey(seed: (0..<32).map { UInt8($0) })
        let message = [UInt8](repeating: 0xab, count: 128)
        let signature = key.sign(message)
        let pk = key.publicKey.bytes
        let sigBytes = signature.bytes
        table.append(("ed25519 sign (1 core)", Stopwatch.rate(minimumSeconds: seconds) { _ = key.sign(message) }, "sig/s"))
        let raw = Stopwatch.rate(minimumSeconds: seconds) {
            precondition(crypto_sign_verify_detached(sigBytes, message, UInt64(message.count), pk) == 0)
        }
        table.append(("ed25519 verify, raw libsodium (1 core)", raw, "sig/s"))
        let ours = Stopwatch.rate(minimumSeconds: seconds) {
            precondition(key.publicKey.isValidSignature(signature, for: message))
        }
        table.append(("ed25519 verify, LedgerCrypto (1 core)", ours, "sig/s"))
        let publicKey = key.publicKey
        let parallel = Stopwatch.parallelRate(threads: cores, minimumSeconds: seconds) {
            precondition(publicKey.isValidSignature(signature, for: message))
        }
        table.append(("ed25519 verify, LedgerCrypto (\(cores) cores)", parallel, "sig/s"))

        // Canonical encoding
        let chainID = "bench-chain"
        let recipient = Address(publicKey: try SigningKey(seed: [UInt8](repeating: 7, count: 32)).publicKey)
        let txs = try (0..<1000).map { i in
            try Transaction.signed(
                chainID: chainID, sender: key, recipient: recipient, amount: UInt64(i + 1), nonce: UInt64(i),
                memo: Array("bench \(i)".utf8))
        }
        let encoded = txs.map { $0.encoded() }
        table.append(("tx encode", Stopwatch.rate(minimumSeconds: seconds, opsPerCall: txs.count) {
            for tx in txs { _ = tx.encoded() }
        }, "tx/s"))
        // The node keeps one long-lived PublicKeyCache: a key's curve-point check (as costly as a
        // signature check) is paid once per account, not once per transaction.
        var cache = PublicKeyCache()
        table.append(("tx decode, key cache warm (node path)", try Stopwatch.rate(minimumSeconds: seconds, opsPerCall: encoded.count) {
            for bytes in encoded { _ = try Transaction.decode(bytes, keyCache: &cache) }
        }, "tx/s"))
        table.append(("tx encode + decode, key cache warm", try Stopwatch.rate(minimumSeconds: seconds, opsPerCall: txs.count) {
            for tx in txs { _ = try Transaction.decode(tx.encoded(), keyCache: &cache) }
        }, "tx/s"))
        table.append(("tx decode, no cache (2 point checks per tx)", try Stopwatch.rate(minimumSeconds: seconds, opsPerCall: encoded.count) {
            for bytes in encoded { _ = try Transaction.decode(bytes) }
        }, "tx/s"))
        table.append(("full tx check: decode + signature (1 core)", try Stopwatch.rate(minimumSeconds: seconds, opsPerCall: encoded.count) {
            for bytes in encoded {
                let tx = try Transaction.decode(bytes, keyCache: &cache)
                precondition(tx.hasValidSignature)
            }
        }, "tx/s"))

        // SQLite block apply
        for perBlock in [100, 1000] {
            let (executeAndApply, applyOnly) = try measureApply(
                transactionsPerBlock: perBlock, blocks: blocks, synchronous: sync)
            table.append(("block execute + apply, \(perBlock) tx/block (\(sync.rawValue))", executeAndApply, "tx/s"))
            table.append(("block apply only, \(perBlock) tx/block (\(sync.rawValue))", applyOnly, "tx/s"))
        }

        let width = table.map(\.0.count).max() ?? 0
        for (name, value, unit) in table {
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            let number = formatRate(value)
            print("\(padded)  \(String(repeating: " ", count: max(0, 12 - number.count)))\(number) \(unit)")
        }
        print("\nour verify / raw libsodium = \(String(format: "%.1f", ours / raw * 100)) %")
    }

    /// Builds `blocks` blocks of transfers among fresh accounts, then measures executing each
    /// against the SQLite state and applying it (the node's path), and applying pre-executed
    /// blocks alone, in a fresh database each time.
    private func measureApply(
        transactionsPerBlock: Int, blocks: Int, synchronous: StoreConfiguration.Synchronous
    ) throws -> (Double, Double) {
        let senders = try (0..<transactionsPerBlock).map { i in
            try SigningKey(seed: Array(Hash.blake2b256(Array("sender \(i)".utf8)).bytes))
        }
        let recipients = try (0..<transactionsPerBlock).map { i in
            Address(publicKey: try SigningKey(seed: Array(Hash.blake2b256(Array("recipient \(i)".utf8)).bytes)).publicKey)
        }
        let validators = try (0..<4).map { i in
            Validator(
                id: ReplicaID(i),
                publicKey: try SigningKey(seed: [UInt8](repeating: UInt8(100 + i), count: 32)).publicKey,
                p2pAddress: "127.0.0.1:\(26000 + i)")
        }
        let genesis = try Genesis(
            chainID: "bench-chain", genesisTimeMs: 1_700_000_000_000, validators: validators,
            accounts: senders.map { GenesisAccount(address: Address(publicKey: $0.publicKey), balance: 1_000_000_000) },
            consensus: .testDefaults, isTestNetwork: true)

        // Pre-sign every batch so signing is outside the clock.
        var batches: [Batch] = []
        for b in 0..<blocks {
            let txs = try (0..<transactionsPerBlock).map { i in
                try Transaction.signed(
                    chainID: genesis.chainID, sender: senders[i], recipient: recipients[(i + b) % recipients.count],
                    amount: 10, nonce: UInt64(b))
            }
            batches.append(Batch(view: .zero, timestamp: genesis.genesisTimeMs + UInt64(b + 1), transactions: txs))
        }

        let clock = ContinuousClock()
        // 1. Execute against SQLite, then apply (what a replica does per committed batch).
        let path1 = scratch + "/ledger-bench-\(UUID().uuidString).sqlite"
        defer { removeDatabase(path1) }
        let store1 = try LedgerStore.open(path: path1, genesis: genesis, configuration: StoreConfiguration(synchronous: synchronous))
        var previous = genesis.header
        var executions: [BlockExecution] = []
        let start1 = clock.now
        for batch in batches {
            let execution = StateTransition.execute(batch: batch, previous: previous, proposer: ReplicaID(0), accounts: store1)
            _ = try store1.apply(execution, certificate: nil)
            previous = execution.block.header
            executions.append(execution)
        }
        let executeRate = Double(blocks * transactionsPerBlock) / Stopwatch.seconds(clock.now - start1)
        store1.close()

        // 2. Apply the same executions to a fresh database (storage cost alone).
        let path2 = scratch + "/ledger-bench-\(UUID().uuidString).sqlite"
        defer { removeDatabase(path2) }
        let store2 = try LedgerStore.open(path: path2, genesis: genesis, configuration: StoreConfiguration(synchronous: synchronous))
        let start2 = clock.now
        for execution in executions { _ = try store2.apply(execution, certificate: nil) }
        let applyRate = Double(blocks * transactionsPerBlock) / Stopwatch.seconds(clock.now - start2)
        store2.close()
        return (executeRate, applyRate)
    }

    private func removeDatabase(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
