// Checks testnet generation and home loading: file modes, one validator per home, and clear errors for bad config, key and arguments.
import Foundation
import LedgerCore
import Node
import P2P
import XCTest

final class NodeHomeTests: XCTestCase {
    private var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "nodehome-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func testTestnetWritesLoadableHomesWithSecretsReadableOnlyByTheOwner() throws {
        let result = try TestnetGenerator(validators: 4, outputDirectory: dir, basePort: 41000).generate()
        XCTAssertEqual(result.homes.count, 4)
        XCTAssertTrue(result.genesis.isTestNetwork)
        XCTAssertEqual(result.genesis.accounts.map(\.address), [Address(publicKey: result.faucetKey.publicKey)])
        XCTAssertEqual(try mode(result.faucetKeyPath), 0o600)
        let seed = try String(contentsOfFile: result.faucetKeyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(seed.count, 64)
        for (i, home) in result.homes.enumerated() {
            XCTAssertEqual(try mode(home + "/node_key.json"), 0o600)
            let loaded = try NodeHome.load(home)
            XCTAssertEqual(loaded.localID, ReplicaID(i))
            XCTAssertEqual(loaded.genesis.genesisHash, result.genesis.genesisHash)
            XCTAssertEqual(loaded.config.p2pListen, "127.0.0.1:\(41000 + i)")
            XCTAssertEqual(loaded.config.rpcListen, "127.0.0.1:\(41100 + i)")
        }
    }

    func testHostsPutOneValidatorPerMachine() throws {
        let result = try TestnetGenerator(validators: 4, outputDirectory: dir, basePort: 26600,
                                          hosts: ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]).generate()
        XCTAssertEqual(result.genesis.validators.map(\.p2pAddress), (1...4).map { "10.0.0.\($0):26600" })
        XCTAssertEqual(try NodeHome.load(result.homes[2]).config.p2pListen, "0.0.0.0:26600")
        XCTAssertThrowsError(try TestnetGenerator(validators: 4, outputDirectory: dir + "x", hosts: ["a", "b"]).generate()) {
            XCTAssertTrue("\($0)".contains("one host per validator"), "\($0)")
        }
        XCTAssertThrowsError(try TestnetGenerator(validators: 3, outputDirectory: dir + "y").generate()) {
            XCTAssertTrue("\($0)".contains("need at least 4"), "\($0)")
        }
        let five = try TestnetGenerator(validators: 5, outputDirectory: dir + "w").generate()
        XCTAssertEqual(five.genesis.validatorCount, 5)
        XCTAssertEqual(five.genesis.quorum, 4, "n = 5: f = 1, quorum ⌈(5 + 1 + 1) / 2⌉")
    }

    func testAValidatorSetWhoseNewViewWouldNotFitAFrameIsRefused() throws {
        // 16 validators with the default window of 400: a NEW-VIEW could reach ~11.7 MB.
        XCTAssertThrowsError(try TestnetGenerator(validators: 16, outputDirectory: dir + "z").generate()) {
            XCTAssertTrue("\($0)".contains("P2P frame limit") && "\($0)".contains("window of at most"), "\($0)")
        }
        XCTAssertNoThrow(try TestnetGenerator(validators: 13, outputDirectory: dir + "w", basePort: 43000).generate())
        // A genesis edited to such a set is refused when the node loads its home.
        let result = try TestnetGenerator(validators: 4, outputDirectory: dir, basePort: 44000).generate()
        let home = result.homes[0]
        let mine = try NodeHome.load(home).genesis.validators[0]
        let others = (1..<16).map { i in
            Validator(id: ReplicaID(i), publicKey: NodeKey.generate().signingKey.publicKey,
                      p2pAddress: "127.0.0.1:\(45000 + i)", rpcAddress: "127.0.0.1:\(45100 + i)")
        }
        let big = try Genesis(chainID: result.genesis.chainID, genesisTimeMs: result.genesis.genesisTimeMs,
                              validators: [mine] + others, accounts: result.genesis.accounts,
                              consensus: result.genesis.consensus, isTestNetwork: true)
        try Data(big.jsonBytes()).write(to: URL(fileURLWithPath: home + "/genesis.json"))
        XCTAssertThrowsError(try NodeHome.load(home)) {
            XCTAssertTrue("\($0)".contains("NEW-VIEW can reach") && "\($0)".contains("genesis.json"), "\($0)")
        }
    }

    func testBadConfigAndKeyAreRefusedWithTheirReason() throws {
        let result = try TestnetGenerator(validators: 4, outputDirectory: dir, basePort: 42000).generate()
        let home = result.homes[0]
        try Data("{\"p2p_listen\":\"nowhere\",\"rpc_listen\":\"127.0.0.1:1\",\"db_path\":\"d\",\"genesis_file\":\"genesis.json\",\"key_file\":\"node_key.json\",\"log_level\":\"info\"}".utf8)
            .write(to: URL(fileURLWithPath: home + "/config.json"))
        XCTAssertThrowsError(try NodeHome.load(home)) { XCTAssertTrue("\($0)".contains("p2p_listen"), "\($0)") }
        try Data("{\"p2p_listen\":\"127.0.0.1:1\"}".utf8).write(to: URL(fileURLWithPath: home + "/config.json"))
        XCTAssertThrowsError(try NodeHome.load(home)) { XCTAssertTrue("\($0)".contains("missing key"), "\($0)") }
        try Data("{\"p2p_listen\":\"127.0.0.1:1\",\"rpc_listen\":\"127.0.0.1:2\",\"db_path\":\"d\",\"genesis_file\":\"genesis.json\",\"key_file\":\"node_key.json\",\"log_level\":\"loud\"}".utf8)
            .write(to: URL(fileURLWithPath: home + "/config.json"))
        XCTAssertThrowsError(try NodeHome.load(home)) { XCTAssertTrue("\($0)".contains("log_level"), "\($0)") }
        // The batching depth is bounded; a good one is read back.
        let withDepth = { (depth: Int) in
            Data("{\"p2p_listen\":\"127.0.0.1:1\",\"rpc_listen\":\"127.0.0.1:2\",\"db_path\":\"d\",\"genesis_file\":\"genesis.json\",\"key_file\":\"node_key.json\",\"log_level\":\"info\",\"partial_batch_depth\":\(depth)}".utf8)
        }
        for bad in [0, 65] {
            try withDepth(bad).write(to: URL(fileURLWithPath: home + "/config.json"))
            XCTAssertThrowsError(try NodeHome.load(home)) { XCTAssertTrue("\($0)".contains("partial_batch_depth \(bad) must be 1...64"), "\($0)") }
        }
        try withDepth(2).write(to: URL(fileURLWithPath: home + "/config.json"))
        XCTAssertEqual(try NodeConfig.load(path: home + "/config.json").partialBatchDepth, 2)
        // A key that belongs to no validator: a full node, unless config.json says it is a validator.
        let other = result.homes[1]
        let stranger = NodeKey.generate()
        try stranger.write(path: other + "/node_key.json")
        let full = try NodeHome.load(other)
        XCTAssertEqual(full.role, .full)
        XCTAssertTrue(full.isFullNodeByDefault)
        XCTAssertEqual(full.localID.index, PeerID(fullNodeKey: stranger.signingKey.publicKey).index)
        var config = try NodeConfig.load(path: other + "/config.json")
        config.role = "validator"
        try config.write(path: other + "/config.json")
        XCTAssertThrowsError(try NodeHome.load(other)) { XCTAssertTrue("\($0)".contains("not in the genesis validator set"), "\($0)") }
        // A validator's key in a home that says full node.
        var validatorHome = try NodeConfig.load(path: result.homes[3] + "/config.json")
        validatorHome.role = "full"
        try validatorHome.write(path: result.homes[3] + "/config.json")
        XCTAssertThrowsError(try NodeHome.load(result.homes[3])) { XCTAssertTrue("\($0)".contains("validator key must not run a second node"), "\($0)") }
        validatorHome.role = "observer"
        try validatorHome.write(path: result.homes[3] + "/config.json")
        XCTAssertThrowsError(try NodeHome.load(result.homes[3])) { XCTAssertTrue("\($0)".contains("must be \"validator\" or \"full\""), "\($0)") }
        // A corrupted key file.
        try Data("{\"public_key\":\"00\",\"seed\":\"xyz\"}".utf8).write(to: URL(fileURLWithPath: result.homes[2] + "/node_key.json"))
        XCTAssertThrowsError(try NodeHome.load(result.homes[2])) { XCTAssertTrue("\($0)".contains("seed"), "\($0)") }
    }

    func testRPCClientPolicyIsReadFromConfigAndBadValuesAreRefused() throws {
        let result = try TestnetGenerator(validators: 4, outputDirectory: dir, basePort: 42100).generate()
        let path = result.homes[0] + "/config.json"
        let with = { (extra: String) in
            Data("{\"p2p_listen\":\"127.0.0.1:1\",\"rpc_listen\":\"127.0.0.1:2\",\"db_path\":\"d\",\"genesis_file\":\"genesis.json\",\"key_file\":\"node_key.json\",\"log_level\":\"info\",\(extra)}".utf8)
        }
        try with(#""rpc_allowed_hosts":["node.example.org"],"rpc_allowed_origins":["https://app.example.org"],"rpc_max_connections_per_address":200"#)
            .write(to: URL(fileURLWithPath: path))
        let rpc = try NodeConfig.load(path: path).rpcServerConfiguration
        XCTAssertEqual(rpc.maxConnectionsPerAddress, 200)
        XCTAssertNil(rpc.hostPolicy.refusal(host: "node.example.org:26700", origin: "https://app.example.org"))
        XCTAssertNotNil(rpc.hostPolicy.refusal(host: "127.0.0.1", origin: "https://other.example.org"))
        for (bad, reason) in [(#""rpc_max_connections_per_address":0"#, "rpc_max_connections_per_address 0"),
                              (#""rpc_allowed_hosts":["http://node.example.org"]"#, "rpc_allowed_hosts entry"),
                              (#""rpc_allowed_origins":["app.example.org"]"#, "rpc_allowed_origins entry")] {
            try with(bad).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try NodeConfig.load(path: path)) { XCTAssertTrue("\($0)".contains(reason), "\($0)") }
        }
    }
}
