// Checks the genesis ceremony with real ledger-node processes: four operators init their own homes, a coordinator
// assembles and finalizes the genesis from their hand-overs, every home loads it with its own validator id, the
// production chain refuses --byzantine, each refusal of the genesis commands prints its reason and leaves the file
// as it was, and set-address moves a validator without changing the hash.
import Foundation
import LedgerCore
import LedgerCrypto
import Node
import XCTest

final class GenesisCeremonyTests: XCTestCase {
    private var dir = ""
    private var binary = ""

    override func setUpWithError() throws {
        binary = try TestnetHarness.locateBinary()
        dir = NSTemporaryDirectory() + "ceremony-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func node(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await TestnetHarness.runNodeCommand(binary: binary, arguments)
    }

    /// Runs a command that must succeed; returns its output.
    @discardableResult
    private func succeed(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let run = try await node(arguments)
        XCTAssertEqual(run.status, 0, "ledger-node \(arguments.joined(separator: " ")): \(run.output)", file: file, line: line)
        return run.output
    }

    /// Runs a command that must fail with `message` in its output and leave `unchanged` (a file) as it was.
    private func refuse(
        _ arguments: [String], _ message: String, unchanged path: String? = nil, file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let before = path.flatMap { FileManager.default.contents(atPath: $0) }
        let run = try await node(arguments)
        XCTAssertEqual(run.status, 1, "ledger-node \(arguments.joined(separator: " ")): \(run.output)", file: file, line: line)
        XCTAssertTrue(run.output.contains("ledger-node: ") && run.output.contains(message),
                      "expected '\(message)' from ledger-node \(arguments.joined(separator: " ")), got: \(run.output)", file: file, line: line)
        if let path { XCTAssertEqual(FileManager.default.contents(atPath: path), before, "\(path) changed", file: file, line: line) }
    }

    /// The hex after "genesis hash: " in `output`.
    private func hash(in output: String) -> String? {
        guard let range = output.range(of: "genesis hash: ") else { return nil }
        return String(output[range.upperBound...].prefix(64))
    }

    private func initValidator(_ i: Int, rpc: Bool = false) async throws -> String {
        let home = dir + "/org\(i)"
        let output = try await succeed(["init", "--home", home, "--p2p-listen", "0.0.0.0:26600", "--rpc-listen", "127.0.0.1:26700",
                                        "--p2p-address", "org\(i).example:26600"] + (rpc ? ["--rpc-address", "org\(i).example:26700"] : []))
        XCTAssertTrue(output.contains("ledger-node genesis add-validator GENESIS_FILE --from validator.json"), output)
        return home
    }

    func testFourOrganisationsBuildAProductionChainEveryHomeLoads() async throws {
        var homes: [String] = []
        for i in 0..<4 { homes.append(try await initValidator(i, rpc: i == 0)) }
        for home in homes {
            let mode = try FileManager.default.attributesOfItem(atPath: home + "/node_key.json")[.posixPermissions] as? NSNumber
            XCTAssertEqual(mode?.intValue, 0o600)
            XCTAssertEqual(try NodeConfig.load(path: home + "/config.json").role, "validator")
        }
        let handover3 = try ValidatorHandover.load(from: homes[3] + "/validator.json")
        XCTAssertEqual(handover3.p2pAddress, "org3.example:26600")
        XCTAssertNil(handover3.rpcAddress)
        XCTAssertEqual(try ValidatorHandover.load(from: homes[0] + "/validator.json").rpcAddress, "org0.example:26700")

        // A full node needs no hand-over.
        let full = dir + "/full"
        let fullOutput = try await succeed(["init", "--home", full, "--full-node"])
        XCTAssertTrue(fullOutput.contains("no hand-over to the genesis coordinator is needed"), fullOutput)
        XCTAssertEqual(try NodeConfig.load(path: full + "/config.json").role, "full")
        XCTAssertFalse(FileManager.default.fileExists(atPath: full + "/validator.json"))

        // The coordinator.
        let genesis = dir + "/coordinator/genesis.json"
        try FileManager.default.createDirectory(atPath: dir + "/coordinator", withIntermediateDirectories: true)
        let created = try await succeed(["genesis", "new", "--out", genesis, "--chain-id", "acme-main", "--checkpoint-interval", "50"])
        XCTAssertTrue(created.contains("production (test_network false)"), created)
        for i in 0..<3 {
            let added = try await succeed(["genesis", "add-validator", genesis, "--from", homes[i] + "/validator.json"])
            XCTAssertTrue(added.contains("added validator \(i):"), added)
        }
        XCTAssertThrowsError(try Genesis.load(from: genesis)) { XCTAssertEqual($0 as? GenesisError, .draftNotFinalized) }
        try await refuse(["genesis", "validate", genesis], "is a draft, not loadable by a node; genesis has 3 validators; need at least 4")
        try await refuse(["genesis", "finalize", genesis], "cannot finalize: genesis has 3 validators", unchanged: genesis)
        // The fourth operator pasted its values instead of sending the file.
        let added = try await succeed(["genesis", "add-validator", genesis, "--public-key", handover3.publicKeyHex,
                                       "--p2p-address", handover3.p2pAddress])
        XCTAssertTrue(added.contains("4 validators (f = 1: tolerates 1 faulty; quorum 3)"), added)
        let faucet = Address(publicKey: SigningKey.generate().publicKey).string
        try await succeed(["genesis", "add-account", genesis, "--address", faucet, "--balance", "1000000000"])
        let finalized = try await succeed(["genesis", "finalize", genesis])
        let coordinatorHash = try XCTUnwrap(hash(in: finalized), finalized)
        try await refuse(["genesis", "add-account", genesis, "--address", Address(publicKey: SigningKey.generate().publicKey).string,
                          "--balance", "1"], "genesis is finalized", unchanged: genesis)

        // Every operator puts the file into its home and compares the hash.
        for (i, home) in homes.enumerated() {
            try FileManager.default.copyItem(atPath: genesis, toPath: home + "/genesis.json")
            let validated = try await succeed(["genesis", "validate", home + "/genesis.json"])
            XCTAssertEqual(hash(in: validated), coordinatorHash, validated)
            let loaded = try NodeHome.load(home)
            XCTAssertEqual(loaded.role, .validator)
            XCTAssertEqual(loaded.localID, ReplicaID(i))
            XCTAssertEqual(loaded.genesis.genesisHash.hex, coordinatorHash)
            XCTAssertFalse(loaded.genesis.isTestNetwork)
            XCTAssertEqual(loaded.genesis.consensus.window, 200)
        }
        // The full node loads the same file as a full node.
        try FileManager.default.copyItem(atPath: genesis, toPath: full + "/genesis.json")
        XCTAssertEqual(try NodeHome.load(full).role, .full)
        XCTAssertFalse(try NodeHome.load(full).isFullNodeByDefault, "init --full-node says so in config.json")
        let shown = try await succeed(["genesis", "show", genesis])
        for part in ["chain id:      acme-main", "test network:  no", "3  \(handover3.publicKeyHex)  p2p org3.example:26600  rpc -",
                     "rpc org0.example:26700", "\(faucet)  1000000000",
                     "checkpoint_interval 50", "genesis hash:  \(coordinatorHash)"] {
            XCTAssertTrue(shown.contains(part), "'\(part)' not in: \(shown)")
        }
        // test_network is false, so a Byzantine start is refused.
        try await refuse(["start", "--home", homes[1], "--byzantine", "silent"], "--byzantine is only allowed on a test network")
    }

    func testTheCeremonyCommandsRefuseBadInputWithTheReason() async throws {
        let home = try await initValidator(0)
        let genesis = dir + "/genesis.json"
        try await succeed(["genesis", "new", "--out", genesis, "--chain-id", "acme-main"])
        try await succeed(["genesis", "add-validator", genesis, "--from", home + "/validator.json"])
        let other = SigningKey.generate().publicKey.hex
        let typo = dir + "/typo.json"
        try Data(#"{"public_key": "\#(other)", "p2p_address": "org1.example:26600", "nmae": "acme"}"#.utf8)
            .write(to: URL(fileURLWithPath: typo))
        let rows: [([String], String)] = [
            (["genesis", "add-validator", genesis, "--from", home + "/validator.json"], "validators 0 and 1 have the same public_key"),
            (["genesis", "add-validator", genesis, "--public-key", other, "--p2p-address", "org0.example:26600"],
             "validators 0 and 1 have the same p2p_address org0.example:26600"),
            (["genesis", "add-validator", genesis, "--public-key", "12ab", "--p2p-address", "org1.example:26600"],
             "validator 1 public_key is invalid: public key must be 32 bytes, got 2"),
            (["genesis", "add-validator", genesis, "--public-key", String(repeating: "0", count: 64), "--p2p-address", "org1.example:26600"],
             "validator 1 public_key is invalid: public key is not a valid Ed25519 point"),
            (["genesis", "add-validator", genesis, "--public-key", other, "--p2p-address", "org1.example"],
             "validator 1 p2p_address 'org1.example' is not host:port: missing ':port'"),
            (["genesis", "add-validator", genesis, "--from", typo], "validator hand-over file \(typo) is unusable: unknown field 'nmae' (typo?)"),
            (["genesis", "add-validator", genesis, "--from", typo, "--public-key", other], "not both"),
            (["genesis", "add-validator", genesis], "give --from validator.json, or --public-key and --p2p-address"),
            (["genesis", "add-account", genesis, "--address", Address(publicKey: SigningKey.generate().publicKey).string, "--balance", "0"],
             "account 0 balance '0' must be a positive decimal integer"),
            (["genesis", "add-account", genesis, "--address", "ldg1notanaddress", "--balance", "5"], "account 0 address is invalid"),
            (["genesis", "set-address", genesis, "--validator", "9", "--p2p-address", "x.example:1"], "there is no validator 9"),
            (["genesis", "new", "--out", genesis, "--chain-id", "acme-main"], "exists; refusing to replace it (use --force)"),
        ]
        for (arguments, message) in rows { try await refuse(arguments, message, unchanged: genesis) }
        try await refuse(["genesis", "new", "--out", dir + "/bad.json", "--chain-id", "Acme"], "genesis chain_id is invalid")
        try await refuse(["init", "--home", dir + "/org9"], "--p2p-address is required")
        try await refuse(["init", "--home", dir + "/org9", "--p2p-listen", "[::]:26600"], "--p2p-address is required")
        try await refuse(["init", "--home", dir + "/org9", "--full-node", "--p2p-address", "org9.example:26600"],
                         "a full node publishes nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/org9"), "a refused init writes nothing")
        // A listener on one address is also the address peers dial, unless told otherwise.
        try await succeed(["init", "--home", dir + "/org8", "--p2p-listen", "127.0.0.8:26600"])
        XCTAssertEqual(try ValidatorHandover.load(from: dir + "/org8/validator.json").p2pAddress, "127.0.0.8:26600")
        try await refuse(["init", "--home", dir + "/org9", "--p2p-address", "org9.example"], "--p2p-address 'org9.example' is not host:port")
        try await refuse(["init", "--home", home, "--p2p-address", "org0.example:1"], "exists; refusing to replace a node key")
        try await refuse(["genesis", "validate", dir + "/none.json"], "cannot read genesis file \(dir)/none.json")
    }

    func testSetAddressMovesAValidatorAndKeepsTheHashWhileAKeyChangesIt() async throws {
        let keys = (0..<4).map { _ in SigningKey.generate().publicKey.hex }
        func make(_ path: String, keys: [String]) async throws -> String {
            try await succeed(["genesis", "new", "--out", path, "--chain-id", "acme-main", "--genesis-time-ms", "1700000000000"])
            for (i, key) in keys.enumerated() {
                try await succeed(["genesis", "add-validator", path, "--public-key", key, "--p2p-address", "org\(i).example:26600"])
            }
            let finalized = try await succeed(["genesis", "finalize", path])
            return try XCTUnwrap(hash(in: finalized), finalized)
        }
        let genesis = dir + "/genesis.json"
        let original = try await make(genesis, keys: keys)
        let moved = try await succeed(["genesis", "set-address", genesis, "--validator", "2", "--p2p-address", "moved.example:30000",
                                       "--rpc-address", "moved.example:30100"])
        XCTAssertTrue(moved.contains("genesis hash: \(original) (unchanged"), moved)
        let validated = try await succeed(["genesis", "validate", genesis])
        XCTAssertEqual(hash(in: validated), original, validated)
        let loaded = try Genesis.load(from: genesis)
        XCTAssertEqual(loaded.validators[2].p2pAddress, "moved.example:30000")
        XCTAssertEqual(loaded.validators[2].rpcAddress, "moved.example:30100")
        XCTAssertEqual(loaded.validators[1].p2pAddress, "org1.example:26600")
        try await refuse(["genesis", "set-address", genesis, "--validator", "1", "--p2p-address", "moved.example:30000"],
                         "validators 1 and 2 have the same p2p_address moved.example:30000", unchanged: genesis)
        // The same chain with one key changed is another chain.
        let changed = try await make(dir + "/other.json", keys: Array(keys.dropLast()) + [SigningKey.generate().publicKey.hex])
        XCTAssertNotEqual(changed, original)
        let same = try await make(dir + "/same.json", keys: keys)
        XCTAssertEqual(same, original, "the same values give the same hash")
    }
}
