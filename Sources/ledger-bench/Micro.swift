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

    @Option(help: "SQLite durability for the apply benchmark: full (the node's default), normal, or full,normal.")
    var synchronous: String = "full,normal"

    @Option(name: .customLong("page-sizes"), help: "SQLite page sizes of the apply benchmark's fresh databases (comma-separated bytes).")
    var pageSizes: String = "\(StoreConfiguration.defaultPageSizeBytes)"

    @Option(name: .customLong("tx-per-block"), help: "Block sizes of the apply benchmark (comma-separated).")
    var transactionsPerBlock: String = "100,1000"

    @Option(help: "Run only these sections (comma-separated): crypto, encoding, store.")
    var only: String = "crypto,encoding,store"

    @Option(help: "Directory for the scratch database (removed afterwards).")
    var scratch: String = NSTemporaryDirectory()

    mutating func run() throws {
        #if DEBUG
        print("warning: debug build; run `swift build -c release` (or scripts/bench micro) for real figures\n")
        #endif
        let durabilities = try synchronous.split(separator: ",").map { name in
            guard let mode = StoreConfiguration.Synchronous(rawValue: name.uppercased()) else {
                throw ValidationError("--synchronous takes full, normal or both (full,normal); got '\(name)'")
            }
            return mode
        }
        let sections = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("ledger-bench micro — \(cores) cores, \(seconds) s per figure\n")

        var table: [Row] = []
        if sections.contains("crypto") { table += crypto(cores: cores) }
        if sections.contains("encoding") { table += try encoding() }
        if sections.contains("store") {
            let pages = try pageSizes.split(separator: ",").map { text in
                guard let n = Int(text), StoreConfiguration.isValidPageSize(n) else {
                    throw ValidationError("--page-sizes takes powers of two in 512...65536; got '\(text)'")
                }
                return n
            }
            let perBlocks = try transactionsPerBlock.split(separator: ",").map { text in
                guard let n = Int(text), (1...10_000).contains(n) else { throw ValidationError("--tx-per-block takes 1...10000; got '\(text)'") }
                return n
            }
            let suffix = { (page: Int) in pages.count > 1 ? ", \(page / 1024) KiB pages" : "" }
            for mode in durabilities {
                for perBlock in perBlocks {
                    for page in pages {
                        let (executeAndApply, applyOnly) = try measureApply(
                            transactionsPerBlock: perBlock, blocks: blocks, synchronous: mode, pageSizeBytes: page)
                        table.append(Row("block execute + apply, \(perBlock) tx/block (WAL, \(mode.rawValue)\(suffix(page)))", executeAndApply, "tx/s"))
                        table.append(Row("block apply only, \(perBlock) tx/block (WAL, \(mode.rawValue)\(suffix(page)))", applyOnly, "tx/s"))
                    }
                }
            }
        }

        let width = table.map(\.name.count).max() ?? 0
        for row in table {
            let number = formatRate(row.value)
            let padding = String(repeating: " ", count: max(0, 12 - number.count))
            print("\(row.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(padding)\(number) \(row.unit)")
        }
        if let raw = table.first(where: { $0.name.hasPrefix("ed25519 verify, raw") }),
            let ours = table.first(where: { $0.name.hasPrefix("ed25519 verify, LedgerCrypto (1") })
        {
            print("\nour verify / raw libsodium = \(String(format: "%.1f", ours.value / raw.value * 100)) %")
        }
    }

    /// One line of the report.
    struct Row {
        var name: String
        var value: Double
        var unit: String
        init(_ name: String, _ value: Double, _ unit: String) {
            self.name = name
            self.value = value
            self.unit = unit
        }
    }

    private func crypto(cores: Int) -> [Row] {
        let key = try! SigningKey(seed: (0..<32).map { UInt8($0) })
        let message = [UInt8](repeating: 0xab, count: 128)
        let signature = key.sign(message)
        let publicKey = key.publicKey
        let pk = publicKey.bytes
        let sigBytes = signature.bytes
        return [
            Row("ed25519 sign (1 core)", Stopwatch.rate(minimumSeconds: seconds) { _ = key.sign(message) }, "sig/s"),
            Row("ed25519 verify, raw libsodium (1 core)", Stopwatch.rate(minimumSeconds: seconds) {
                precondition(crypto_sign_verify_detached(sigBytes, message, UInt64(message.count), pk) == 0)
            }, "sig/s"),
            Row("ed25519 verify, LedgerCrypto (1 core)", Stopwatch.rate(minimumSeconds: seconds) {
                precondition(publicKey.isValidSignature(signature, for: message))
            }, "sig/s"),
            Row("ed25519 verify, LedgerCrypto (\(cores) cores)", Stopwatch.parallelRate(threads: cores, minimumSeconds: seconds) {
                precondition(publicKey.isValidSignature(signature, for: message))
            }, "sig/s"),
            Row("public key, remembered valid (PublicKey(bytes:))", Stopwatch.rate(minimumSeconds: seconds) {
                _ = try! PublicKey(bytes: pk)
            }, "keys/s"),
        ]
    }

    /// 1000 transfers among 100 senders and 100 recipients (so the process-wide key memo sees reuse, as a
    /// node does, without every transaction sharing one key).
    private func encoding() throws -> [Row] {
        let senders = try (0..<100).map { try SigningKey(seed: [UInt8](repeating: UInt8($0), count: 32)) }
        let recipients = try (100..<200).map {
            Address(publicKey: try SigningKey(seed: [UInt8](repeating: UInt8($0), count: 32)).publicKey)
        }
        let txs: [Transaction] = try (0..<1000).map { (i: Int) throws -> Transaction in
            let memo: [UInt8] = Array("bench \(i)".utf8)
            return try Transaction.signed(
                chainID: "bench-chain", sender: senders[i % 100], recipient: recipients[(i * 7) % 100],
                amount: UInt64(i + 1), nonce: UInt64(i / 100), memo: memo)
        }
        let encoded = txs.map { $0.encoded() }
        // One pass first, as a running node has done: `PublicKey(bytes:)` remembers each valid key
        // process-wide, so a key's curve-point check (as costly as a signature check) is paid once
        // per account, not once per transaction.
        for bytes in encoded { _ = try Transaction.decode(bytes) }
        return [
            Row("tx encode", Stopwatch.rate(minimumSeconds: seconds, opsPerCall: txs.count) {
                for tx in txs { _ = tx.encoded() }
            }, "tx/s"),
            Row("tx decode, keys known (node path)", try Stopwatch.rate(minimumSeconds: seconds, opsPerCall: encoded.count) {
                for bytes in encoded { _ = try Transaction.decode(bytes) }
            }, "tx/s"),
            Row("tx encode + decode, keys known", try Stopwatch.rate(minimumSeconds: seconds, opsPerCall: txs.count) {
                for tx in txs { _ = try Transaction.decode(tx.encoded()) }
            }, "tx/s"),
            Row("full tx check: decode + signature (1 core)", try Stopwatch.rate(minimumSeconds: seconds, opsPerCall: encoded.count) {
                for bytes in encoded {
                    let tx = try Transaction.decode(bytes)
                    precondition(tx.hasValidSignature)
                }
            }, "tx/s"),
        ]
    }

    /// Builds `blocks` blocks of transfers among fresh accounts, then measures executing each
    /// against the SQLite state and applying it (the node's path), and applying pre-executed
    /// blocks alone, in a fresh database each time.
    private func measureApply(
        transactionsPerBlock: Int, blocks: Int, synchronous: StoreConfiguration.Synchronous, pageSizeBytes: Int
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
        let store1 = try LedgerStore.open(path: path1, genesis: genesis, configuration: StoreConfiguration(synchronous: synchronous, pageSizeBytes: pageSizeBytes))
        var previous = genesis.header
        var executions: [BlockExecution] = []
        let start1 = clock.now
        for batch in batches {
            // The node's path: one read snapshot of the accounts the batch touches, then the pure executor.
            let accounts = try store1.accounts(for: batch.accountKeys)
            let execution = StateTransition.execute(
                batch: batch, previous: previous, proposer: ReplicaID(0), accounts: accounts, membership: Membership(genesis: genesis),
                rules: ChangeRules(genesis: genesis))
            _ = try store1.apply(execution, certificate: nil)
            previous = execution.block.header
            executions.append(execution)
        }
        let executeRate = Double(blocks * transactionsPerBlock) / Stopwatch.seconds(clock.now - start1)
        store1.close()

        // 2. Apply the same executions to a fresh database (storage cost alone).
        let path2 = scratch + "/ledger-bench-\(UUID().uuidString).sqlite"
        defer { removeDatabase(path2) }
        let store2 = try LedgerStore.open(path: path2, genesis: genesis, configuration: StoreConfiguration(synchronous: synchronous, pageSizeBytes: pageSizeBytes))
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
