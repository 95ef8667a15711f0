import Adversary
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LedgerCore
import LedgerCrypto
import Logging
import Node

@main
struct LedgerNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-node",
        abstract: "A validator of the BFT ledger (PBFT over authenticated TCP, SQLite storage, JSON-RPC).",
        discussion: """
            Quick start, four validators on this machine: scripts/testnet up
            By hand: ledger-node testnet --validators 4 --out .testnet, then
            ledger-node start --home .testnet/nodeI for I = 0…3.

            Several organisations, one host each (docs/network.md): every
            operator runs ledger-node init on its own host and sends the
            printed validator.json to a coordinator, who builds the chain with
            ledger-node genesis new / add-validator / add-account / finalize;
            every operator then checks the hash with ledger-node genesis validate.

            A node home holds node_key.json (the Ed25519 seed, mode 0600),
            config.json (p2p_listen, rpc_listen, db_path, genesis_file,
            key_file, log_level, role, peers, rpc_allowed_hosts,
            rpc_allowed_origins, rpc_max_connections_per_address),
            validator.json (the hand-over, no secret) and genesis.json.
            """,
        version: SoftwareVersion.current,
        subcommands: [Testnet.self, Init.self, GenesisCommand.self, ValidatorsCommand.self, Start.self, Keys.self, Load.self])
}

/// Exit with a clear message.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ledger-node: \(message)\n".utf8))
    exit(1)
}

struct Testnet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the homes (keys, configs, shared genesis) of an n-validator test network and a funded faucet key.")

    @Option(help: "Number of validators, \(Limits.validatorsMin)…\(Limits.validatorsMax) (f = ⌊(n − 1)/3⌋ faulty tolerated).")
    var validators: Int = 4
    @Option(help: "Directory to write node0…node{n-1} and faucet.key into.") var out: String
    @Option(name: .customLong("base-port"), help: "P2P port of node 0 (node i uses +i; RPC ports are +100).") var basePort: Int = 26600
    @Option(help: "Comma-separated hosts, one per validator (multi-machine network; every node uses the same ports).") var hosts: String?
    @Option(name: .customLong("chain-id"), help: "Chain id ([a-z0-9._-], 1–64 chars).") var chainID: String = "ledger-testnet"
    @Option(name: .customLong("checkpoint-interval"), help: "Blocks between checkpoints (window = 4×).") var checkpointInterval: UInt64 = 100
    @Option(name: .customLong("view-change-timeout-ms"), help: "Initial view-change timeout.") var viewChangeTimeoutMs: UInt64 = 2000
    @Option(name: .customLong("batch-delay-ms"), help: "How long the primary waits to fill a batch.") var batchDelayMs: UInt64 = 20
    @Option(name: .customLong("bench-accounts"), help: ArgumentHelp(
        "Also fund N deterministic benchmark accounts (keys derived from --bench-seed; public, test networks only).",
        valueName: "N")) var benchAccounts: Int = 0
    @Option(name: .customLong("bench-seed"), help: "Seed the benchmark accounts derive from (see ledger-bench load).")
    var benchSeed: UInt64 = 1

    func run() throws {
        var consensus = ConsensusParameters.testDefaults
        consensus.checkpointInterval = checkpointInterval
        consensus.window = checkpointInterval &* 4
        consensus.viewChangeTimeoutMs = viewChangeTimeoutMs
        consensus.batchDelayMs = batchDelayMs
        let hostList = hosts.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
        var generator = TestnetGenerator(
            validators: validators, outputDirectory: out, basePort: basePort, hosts: hostList, chainID: chainID, consensus: consensus)
        generator.benchAccounts = benchAccounts
        generator.benchSeed = benchSeed
        do {
            let result = try generator.generate()
            print("wrote \(validators) validator homes for chain '\(chainID)' (genesis \(result.genesis.genesisHash.hex.prefix(16))…):")
            for (i, home) in result.homes.enumerated() {
                print("  node\(i): \(home)  p2p \(result.p2pAddresses[i])  rpc http://\(result.rpcAddresses[i])")
            }
            print("faucet: \(Address(publicKey: result.faucetKey.publicKey)) with \(generator.faucetBalance)")
            if benchAccounts > 0 {
                print("bench accounts: \(benchAccounts) (seed \(benchSeed)) with \(BenchAccounts.balance) each")
            }
            print("faucet seed (hex, mode 0600): \(result.faucetKeyPath)  — the wallet keystore replaces this file later")
        } catch {
            fail("\(error)")
        }
    }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the validator in the foreground until SIGINT/SIGTERM (clean shutdown).")

    @Option(help: "The node home (config.json, node_key.json, genesis.json).") var home: String
    @Option(name: .customLong("log-level"), help: "Override config log_level (trace, debug, info, notice, warning, error).")
    var logLevel: String?
    @Option(help: ArgumentHelp(
        "TEST NETWORKS ONLY: play these Byzantine strategies (comma-separated, applied in order): \(ByzantineStrategy.names.joined(separator: ", ")).",
        valueName: "strategy[,strategy…]"))
    var byzantine: String?
    @Option(name: .customLong("byzantine-seed"), help: "Seed of the Byzantine behaviour's own random choices.")
    var byzantineSeed: UInt64 = 1
    @Flag(help: "With --byzantine double-vote: collude with the equivocating primary (the f + 1 self-test).")
    var collude = false
    @Option(name: .customLong("rpc-allowed-hosts"), help: ArgumentHelp(
        "Host names the JSON-RPC server answers besides IP addresses and localhost (comma-separated; * for any). A request "
            + "whose Host header names anything else is refused with 403: this stops DNS rebinding, where a web page makes "
            + "its own name point at this node. Overrides config rpc_allowed_hosts.",
        valueName: "name[,name…]"))
    var rpcAllowedHosts: String?
    @Option(name: .customLong("rpc-allowed-origins"), help: ArgumentHelp(
        "Browser origins allowed to call the JSON-RPC server and WebSocket (comma-separated, e.g. https://app.example.org; "
            + "* for any). A request carrying any other Origin header — i.e. sent by a web page — is refused with 403, so "
            + "a page you visit cannot drive this node. A listed origin gets CORS headers naming it (never *) and its "
            + "OPTIONS preflight answered, so its page can read the answers. Default none. Overrides config rpc_allowed_origins.",
        valueName: "origin[,origin…]"))
    var rpcAllowedOrigins: String?
    @Option(name: .customLong("rpc-max-connections-per-address"), help: ArgumentHelp(
        "Most JSON-RPC connections open from one IP address, loopback included (default 32); more are answered 429 "
            + "and closed. Raise it for a benchmark that opens many connections from this machine. Overrides config "
            + "rpc_max_connections_per_address.",
        valueName: "n"))
    var rpcMaxConnectionsPerAddress: Int?

    func run() async throws {
        #if canImport(Glibc)
        // glibc gives each thread that allocates its own arena (up to 8 per core); the node's
        // many short-lived tasks then spread freed memory over arenas that are rarely returned,
        // and the primary's RSS grew past 300 MiB after ~1 M transactions. Two arenas are enough
        // for two cores. An explicit MALLOC_ARENA_MAX in the environment wins.
        // (`mallopt` is looked up at run time: Swift's Glibc module does not export malloc.h.)
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil,
           let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
            let M_ARENA_MAX: Int32 = -8
            _ = unsafeBitCast(symbol, to: MallOpt.self)(M_ARENA_MAX, 2)
        }
        #endif
        var loaded: NodeHome
        do { loaded = try NodeHome.load(home) } catch { fail("\(error)") }
        if rpcAllowedHosts != nil || rpcAllowedOrigins != nil || rpcMaxConnectionsPerAddress != nil {
            func list(_ text: String) -> [String] {
                text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            var config = loaded.config
            if let rpcAllowedHosts { config.rpcAllowedHosts = list(rpcAllowedHosts) }
            if let rpcAllowedOrigins { config.rpcAllowedOrigins = list(rpcAllowedOrigins) }
            if let rpcMaxConnectionsPerAddress { config.rpcMaxConnectionsPerAddress = rpcMaxConnectionsPerAddress }
            do { try config.validate(path: "the command line") } catch { fail("\(error)") }
            loaded = loaded.replacing(config: config)
        }
        let levelText = logLevel ?? loaded.config.logLevel
        guard let level = Logger.Level(rawValue: levelText) else { fail("unknown log level '\(levelText)'") }
        LoggingSystem.bootstrap { label in NodeLogHandler(label: label, level: level) }
        var logger = Logger(label: "ledger-node")
        logger.logLevel = level
        let node: LedgerNode
        do { node = try LedgerNode(home: loaded, logger: logger) } catch { fail("\(error)") }
        if let byzantine {
            do {
                let interceptor = try ByzantineInterceptor(
                    strategies: byzantine, seed: byzantineSeed, collude: collude, replica: loaded.localID,
                    genesis: loaded.genesis, key: loaded.key.signingKey)
                try await node.intercept(with: interceptor)
            } catch { fail("\(error)") }
            logger.critical("BYZANTINE VALIDATOR: this node deliberately misbehaves (test network only)", metadata: [
                "strategies": "\(byzantine)", "seed": "\(byzantineSeed)", "collude": "\(collude)",
            ])
        }
        let signals = SignalWaiter()
        do { try await node.start() } catch {
            await node.shutdown()
            fail("\(error)")
        }
        let signal = await signals.wait()
        logger.notice("received signal; shutting down", metadata: ["signal": "\(signal)"])
        await node.shutdown()
    }
}
