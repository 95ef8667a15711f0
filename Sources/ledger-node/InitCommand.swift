import ArgumentParser
import Foundation
import LedgerCore
import Node

/// `ledger-node init`: one node home on the host that runs it — a fresh key that never leaves it, config.json and,
/// for a validator, the hand-over file (`validator.json`) the genesis coordinator needs.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create one node home on this host: a fresh key (it never leaves the host), config.json and validator.json for the genesis coordinator.",
        discussion: """
            A validator's home gets validator.json: its public key and the
            addresses peers and clients reach it at, no secret. Send that file
            to the coordinator of the genesis (ledger-node genesis add-validator
            GENESIS --from validator.json), then put the finalized genesis.json
            into the home and compare its hash with the other operators
            (ledger-node genesis validate HOME/genesis.json).

            With --full-node the home is a non-voting node's (config role
            "full"): nothing goes to the coordinator; it only needs the
            network's genesis.json. See docs/network.md.
            """)

    @Option(help: "The node home to create.") var home: String
    @Option(name: .customLong("p2p-listen"), help: "host:port the P2P listener binds to.") var p2pListen: String = "0.0.0.0:26600"
    @Option(name: .customLong("rpc-listen"), help: "host:port the JSON-RPC server binds to.") var rpcListen: String = "127.0.0.1:26700"
    @Option(name: .customLong("p2p-address"), help: ArgumentHelp(
        "host:port the other validators dial to reach this one (a name or IP address they can reach, and the port "
            + "--p2p-listen binds or one forwarded to it); goes into the genesis. Required for a validator when "
            + "--p2p-listen binds every interface (0.0.0.0, the default); otherwise defaults to --p2p-listen.",
        valueName: "host:port"))
    var p2pAddress: String?
    @Option(name: .customLong("rpc-address"), help: ArgumentHelp(
        "host:port where clients reach this validator's JSON-RPC, published in the genesis. Leave it out to keep "
            + "the RPC private (e.g. on loopback behind full nodes).",
        valueName: "host:port"))
    var rpcAddress: String?
    @Flag(name: .customLong("full-node"), help: "A non-voting full node (config role \"full\"): no hand-over file, it only needs the genesis.")
    var fullNode = false
    @Flag(help: "Overwrite an existing key.") var force = false

    func run() throws {
        let keyPath = (home as NSString).appendingPathComponent("node_key.json")
        if FileManager.default.fileExists(atPath: keyPath) && !force {
            fail("\(keyPath) exists; refusing to replace a node key (use --force)")
        }
        var config = NodeConfig(p2pListen: p2pListen, rpcListen: rpcListen)
        config.role = fullNode ? NodeRole.full.rawValue : NodeRole.validator.rawValue
        do { try config.validate(path: "--p2p-listen/--rpc-listen") } catch { fail("\(error)") }
        if fullNode, p2pAddress != nil || rpcAddress != nil {
            fail("--p2p-address and --rpc-address are published in the genesis for validators; a full node publishes nothing (leave them out)")
        }
        let key = NodeKey.generate()
        let handover = fullNode ? nil : validatorHandover(key: key)
        do {
            try key.write(path: keyPath)
            try config.write(path: (home as NSString).appendingPathComponent(NodeHome.configFileName))
            if let handover {
                try NodeFiles.write(
                    Data(handover.jsonBytes()), to: (home as NSString).appendingPathComponent(ValidatorHandover.fileName),
                    mode: 0o644)
            }
        } catch {
            fail("\(error)")
        }
        let genesisPath = (home as NSString).appendingPathComponent("genesis.json")
        if let handover {
            print("created validator home \(home)")
            print("  key:         \(keyPath) (mode 0600; it never leaves this host)")
            print("  public key:  \(key.signingKey.publicKey.hex)")
            print("  p2p address: \(handover.p2pAddress)")
            print("  rpc address: \(handover.rpcAddress ?? "(not published)")")
            print("  hand-over:   \((home as NSString).appendingPathComponent(ValidatorHandover.fileName)) (no secret in it)")
            print("next: send validator.json to the genesis coordinator, who runs")
            print("  ledger-node genesis add-validator GENESIS_FILE --from validator.json")
            let rpc = handover.rpcAddress.map { " --rpc-address \($0)" } ?? ""
            print("or, with the values pasted instead of the file:")
            print("  ledger-node genesis add-validator GENESIS_FILE --public-key \(key.signingKey.publicKey.hex) --p2p-address \(handover.p2pAddress)\(rpc)")
            print("then put the finalized genesis at \(genesisPath) and compare its hash with the other operators:")
            print("  ledger-node genesis validate \(genesisPath)")
        } else {
            print("created full-node home \(home) (role \"full\": follows the chain, never votes)")
            print("  key:         \(keyPath) (mode 0600; identifies this node to its peers)")
            print("no hand-over to the genesis coordinator is needed: a full node only needs the network's")
            print("finalized genesis at \(genesisPath); check its hash with")
            print("  ledger-node genesis validate \(genesisPath)")
        }
    }

    /// The hand-over of a validator with `key` and the addresses asked for, or exit with what is wrong.
    private func validatorHandover(key: NodeKey) -> ValidatorHandover {
        let dial: String
        if let p2pAddress {
            dial = p2pAddress
        } else if let listen = NodeConfig.hostPort(p2pListen), !["0.0.0.0", "::"].contains(listen.host) {
            dial = p2pListen
        } else {
            fail("--p2p-address is required: --p2p-listen \(p2pListen) binds every interface, so say which host:port the other validators dial (e.g. --p2p-address validator1.example.org:26600)")
        }
        if let problem = NetworkAddress.problem(with: dial) { fail("--p2p-address '\(dial)' is not host:port: \(problem)") }
        if let rpcAddress, let problem = NetworkAddress.problem(with: rpcAddress) {
            fail("--rpc-address '\(rpcAddress)' is not host:port: \(problem)")
        }
        return ValidatorHandover(publicKeyHex: key.signingKey.publicKey.hex, p2pAddress: dial, rpcAddress: rpcAddress)
    }
}
