import Foundation
import LedgerCore
import LedgerCrypto

/// Generates the homes of an n-validator test network (`ledger-node testnet`).
public struct TestnetGenerator: Sendable {
    /// Number of validators (`Limits.validatorsMin`…`Limits.validatorsMax`; `QuorumRule` sizes the quorums).
    public var validators: Int
    /// Output directory.
    public var outputDirectory: String
    /// First P2P port; validator i listens on `basePort + i` (or `basePort` on its own host), RPC on `basePort + 100 + i`.
    public var basePort: Int
    /// One host per validator for a multi-machine network; empty = all on 127.0.0.1.
    public var hosts: [String]
    /// The chain id.
    public var chainID: String
    /// The consensus parameters.
    public var consensus: ConsensusParameters
    /// The faucet's initial balance.
    public var faucetBalance: UInt64 = 1_000_000_000_000_000
    /// Deterministic benchmark accounts funded in genesis (`BenchAccounts`), 0 = none.
    public var benchAccounts: Int = 0
    /// The seed the benchmark accounts derive from.
    public var benchSeed: UInt64 = 1

    /// A generator; call `generate()`.
    public init(validators: Int, outputDirectory: String, basePort: Int = 26600, hosts: [String] = [],
                chainID: String = "ledger-testnet", consensus: ConsensusParameters = .testDefaults) {
        self.validators = validators; self.outputDirectory = outputDirectory; self.basePort = basePort
        self.hosts = hosts; self.chainID = chainID; self.consensus = consensus
    }

    /// What was written.
    public struct Result: Sendable {
        /// Home directory per validator.
        public var homes: [String]
        /// The genesis all homes share.
        public var genesis: Genesis
        /// The faucet key (its seed is in `faucetKeyPath`).
        public var faucetKey: SigningKey
        /// Hex seed file of the faucet, mode 0600.
        public var faucetKeyPath: String
        /// P2P and RPC `host:port` per validator, as peers and clients reach them.
        public var p2pAddresses: [String]
        /// RPC addresses.
        public var rpcAddresses: [String]
    }

    /// Writes `node0…node{n-1}` (node_key.json 0600, config.json, genesis.json) and `faucet.key` under the output directory.
    public func generate() throws(NodeError) -> Result {
        if !hosts.isEmpty && hosts.count != validators {
            throw .invalidArgument("--hosts lists \(hosts.count) hosts for \(validators) validators; give one host per validator")
        }
        let portSpan = hosts.isEmpty ? 100 + validators : 101
        guard basePort >= 1, basePort + portSpan <= 65535 else {
            throw .invalidArgument("--base-port \(basePort) leaves no room for \(validators) p2p ports and RPC ports at +100")
        }
        if let problem = ChainID.problem(with: chainID) { throw .invalidArgument("--chain-id: \(problem)") }
        guard (0...BenchAccounts.maxAccounts).contains(benchAccounts) else {
            throw .invalidArgument("--bench-accounts \(benchAccounts) is out of range; use 0…\(BenchAccounts.maxAccounts)")
        }
        if let problem = NodeHome.frameProblem(validators: validators, window: consensus.window) {
            throw .invalidArgument("--validators \(validators): \(problem)")
        }
        let keys = (0..<validators).map { _ in NodeKey.generate() }
        var p2p: [String] = [], rpc: [String] = [], listenP2P: [String] = [], listenRPC: [String] = []
        for i in 0..<validators {
            if hosts.isEmpty {
                p2p.append("127.0.0.1:\(basePort + i)"); rpc.append("127.0.0.1:\(basePort + 100 + i)")
                listenP2P.append(p2p[i]); listenRPC.append(rpc[i])
            } else {
                p2p.append("\(hosts[i]):\(basePort)"); rpc.append("\(hosts[i]):\(basePort + 100)")
                listenP2P.append("0.0.0.0:\(basePort)"); listenRPC.append("0.0.0.0:\(basePort + 100)")
            }
        }
        let faucet = SigningKey.generate()
        let genesis: Genesis
        do {
            genesis = try Genesis(
                chainID: chainID, genesisTimeMs: UInt64(Date().timeIntervalSince1970 * 1000),
                validators: (0..<validators).map {
                    Validator(id: ReplicaID($0), publicKey: keys[$0].signingKey.publicKey, p2pAddress: p2p[$0], rpcAddress: rpc[$0])
                },
                accounts: [GenesisAccount(address: Address(publicKey: faucet.publicKey), balance: faucetBalance)]
                    + BenchAccounts.genesisAccounts(benchSeed: benchSeed, count: benchAccounts),
                consensus: consensus, isTestNetwork: true)
        } catch {
            throw .invalidArgument("cannot build genesis: \(error)")
        }
        let genesisJSON = Data(genesis.jsonBytes())
        var homes: [String] = []
        for i in 0..<validators {
            let home = (outputDirectory as NSString).appendingPathComponent("node\(i)")
            try keys[i].write(path: (home as NSString).appendingPathComponent("node_key.json"))
            try NodeConfig(p2pListen: listenP2P[i], rpcListen: listenRPC[i])
                .write(path: (home as NSString).appendingPathComponent(NodeHome.configFileName))
            try NodeFiles.write(genesisJSON, to: (home as NSString).appendingPathComponent("genesis.json"), mode: 0o644)
            homes.append(home)
        }
        let faucetPath = (outputDirectory as NSString).appendingPathComponent("faucet.key")
        try NodeFiles.write(Data((Hex.encode(faucet.seed) + "\n").utf8), to: faucetPath, mode: 0o600)
        return Result(homes: homes, genesis: genesis, faucetKey: faucet, faucetKeyPath: faucetPath,
                      p2pAddresses: p2p, rpcAddresses: rpc)
    }
}
