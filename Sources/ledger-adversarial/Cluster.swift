import CSQLite
import Foundation
import LedgerCore
import LedgerCrypto
import Node
import Wallet
import NIOCore
import NIOPosix

/// Where a scenario's network lives: node `i` p2p on `base + i`, RPC on `base + 100 + i`, and the
/// proxy of link `i → j` on `base + 20 + i·n + j` (a full node is node `n`: its RPC on `base + 100 + n`,
/// its links to the validators `base + 20 + n·n + j`). On 127.0.0.1, or with `--netns` each node on its
/// namespace's address and the proxies on the bridge's.
struct PortPlan: Sendable {
    let base: Int
    let count: Int
    /// The namespace network the nodes run in, or `nil` for loopback.
    var network: NamespaceNetwork?
    func p2p(_ i: Int) -> Int { base + i }
    func rpc(_ i: Int) -> Int { base + 100 + i }
    func proxy(_ from: Int, _ to: Int) -> Int { base + 20 + from * count + to }
    /// Node `i`'s address: its namespace's, or 127.0.0.1.
    func host(_ i: Int) -> String { network?.hosts[i].address ?? "127.0.0.1" }
    /// Where the link proxies listen: the bridge's address, or 127.0.0.1.
    var proxyHost: String { network?.gateway ?? "127.0.0.1" }
    /// Node `i`'s JSON-RPC endpoint.
    func rpcURL(_ i: Int) -> String { "http://\(host(i)):\(rpc(i))/" }

    /// The route of link `from → to`: its proxy, the target's p2p address, and (netns) the sender's source address.
    func route(_ from: Int, _ to: Int) -> LinkRoute {
        LinkRoute(name: "\(from)->\(to)", listenHost: proxyHost, listenPort: proxy(from, to), targetHost: host(to),
                  targetPort: p2p(to), sourceHost: network?.hosts[from].source)
    }

    /// The first of this plan's ports something already listens on, or nil.
    func firstBusyPort() -> Int? {
        var ports = (0..<count).flatMap { [p2p($0), rpc($0)] }
        for i in 0..<count { for j in 0..<count where j != i { ports.append(proxy(i, j)) } }
        return ports.first { !LocalPort.isFree($0) }
    }
}

/// A fresh n-validator test network of `ledger-node` child processes in its own folder, every
/// P2P link going through a `LinkProxy`; process faults (kill -9, SIGSTOP/SIGCONT, restart,
/// torn or erased consensus log) are methods here. Every action is written to `runner.log`.
actor Cluster {
    let directory: String
    let ports: PortPlan
    let testnet: TestnetGenerator.Result
    let binary: String
    let byzantine: [Int: ByzantineRole]
    let clients: [RPCClient]
    let count: Int
    /// Every link's one-way delay, each direction (`--link-delay-ms`); a fault's delay adds to it.
    let baseDelayMs: Int64
    /// The full node's index (`count`) when the scenario runs one, else `nil`.
    let fullNode: Int?
    /// Every node's home: the validators', then the full node's.
    let homes: [String]
    private(set) var links: [LinkProxy] = []
    private var processes: [Int: Process] = [:]
    private var paused: Set<Int> = []
    private let started = Date()
    private let timeline: FileHandle?
    private let group: MultiThreadedEventLoopGroup

    /// Generates the homes (checkpoint interval `checkpointInterval`, view-change timeout
    /// `viewChangeTimeoutMs`) and writes the listen addresses and proxy overrides into each config.json; on
    /// `network` (`--netns`) each node listens on its namespace's address.
    init(directory: String, basePort: Int, binary: String, byzantine: [Int: ByzantineRole], checkpointInterval: UInt64,
         viewChangeTimeoutMs: UInt64, logLevel: String, benchAccounts: Int = 0, withFullNode: Bool = false,
         network: NamespaceNetwork? = nil, baseDelayMs: Int64 = 0) throws {
        self.directory = directory
        self.binary = binary
        self.byzantine = byzantine
        self.baseDelayMs = baseDelayMs
        count = 4
        ports = PortPlan(base: basePort, count: count, network: network)
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var consensus = ConsensusParameters.testDefaults
        consensus.checkpointInterval = checkpointInterval
        consensus.window = checkpointInterval * 4
        consensus.viewChangeTimeoutMs = viewChangeTimeoutMs
        consensus.batchDelayMs = 10
        var generator = TestnetGenerator(validators: count, outputDirectory: directory, basePort: basePort,
                                         chainID: "adversarial", consensus: consensus)
        generator.benchAccounts = benchAccounts
        generator.benchSeed = SaturationLoad.benchSeed
        testnet = try generator.generate()
        for i in 0..<count {
            let path = (testnet.homes[i] as NSString).appendingPathComponent(NodeHome.configFileName)
            var config = try NodeConfig.load(path: path)
            var peers: [String: String] = [:]
            for j in 0..<count where j != i { peers["\(j)"] = "\(ports.proxyHost):\(ports.proxy(i, j))" }
            config.peers = peers
            config.p2pListen = "\(ports.host(i)):\(ports.p2p(i))"
            config.rpcListen = "\(ports.host(i)):\(ports.rpc(i))"
            config.logLevel = logLevel
            try config.write(path: path)
        }
        var homes = testnet.homes
        let (ports, count) = (self.ports, self.count)
        if withFullNode {
            // Its own key, generated here as its operator would (`ledger-node init --full-node`); it dials the
            // validators through its own proxies.
            let home = (directory as NSString).appendingPathComponent("full")
            try NodeKey.generate().write(path: home + "/node_key.json")
            var config = NodeConfig(p2pListen: "\(ports.host(count)):\(ports.p2p(count))", rpcListen: "\(ports.host(count)):\(ports.rpc(count))")
            config.role = NodeRole.full.rawValue
            config.logLevel = logLevel
            config.peers = Dictionary(uniqueKeysWithValues: (0..<count).map { ("\($0)", "\(ports.proxyHost):\(ports.proxy(count, $0))") })
            try config.write(path: home + "/" + NodeHome.configFileName)
            try FileManager.default.copyItem(atPath: testnet.homes[0] + "/genesis.json", toPath: home + "/genesis.json")
            homes.append(home)
        }
        self.homes = homes
        fullNode = withFullNode ? count : nil
        // A URL made of an IP address and a port always parses.
        clients = homes.indices.map { try! RPCClient(url: ports.rpcURL($0)) }
        FileManager.default.createFile(atPath: directory + "/runner.log", contents: nil)
        timeline = FileHandle(forWritingAtPath: directory + "/runner.log")
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    var genesis: Genesis { testnet.genesis }
    /// The nodes whose chains the checks read: honest validators and the full node.
    var honest: [Int] { (0..<count).filter { byzantine[$0] == nil } + (fullNode.map { [$0] } ?? []) }
    func dbPath(_ i: Int) -> String { homes[i] + "/data/ledger.sqlite" }
    func logPath(_ i: Int) -> String { homes[i] + "/node.log" }

    /// Appends a line to `runner.log` with the time since the cluster was made.
    func note(_ line: String) {
        let t = String(format: "%8.3f", Date().timeIntervalSince(started))
        timeline?.write(Data("\(t) \(line)\n".utf8))
    }

    /// Throws when one of this cluster's ports is already taken (another test network, or a
    /// node left behind), instead of silently talking to someone else's node.
    func checkPortsFree() throws {
        if let port = ports.firstBusyPort() {
            throw RunnerError.setup("port \(port) on 127.0.0.1 is in use; stop what holds it or pass another --base-port")
        }
    }

    // MARK: Proxies

    /// Starts the link proxies (every node to every other validator), each delaying both directions by `baseDelayMs`.
    func startProxies() async throws {
        let loop = group.next()
        for i in homes.indices {
            for j in 0..<count where j != i {
                let link = LinkProxy(route: ports.route(i, j), loop: loop)
                try await link.start()
                await link.set(mode: .pass, delayMs: baseDelayMs)
                links.append(link)
            }
        }
        note("proxies up on \(ports.proxyHost):\(ports.proxy(0, 1))…\(ports.proxy(count - 1, count - 2)), one-way delay \(baseDelayMs) ms")
    }

    private func link(_ from: Int, _ to: Int) -> LinkProxy? { links.first { $0.route.name == "\(from)->\(to)" } }

    /// Sets the links `from → to` for every pair in `pairs`: `mode`, and `delayMs` on top of the base delay.
    func setLinks(_ pairs: [(Int, Int)], mode: LinkMode, delayMs: Int64 = 0) async {
        for (a, b) in pairs { await link(a, b)?.set(mode: mode, delayMs: baseDelayMs + delayMs) }
        note("links \(pairs.map { "\($0.0)→\($0.1)" }.joined(separator: " ")) mode=\(mode) delay=+\(delayMs)ms")
    }

    /// Closes the connections of the links in `pairs`.
    func resetLinks(_ pairs: [(Int, Int)]) async {
        for (a, b) in pairs { await link(a, b)?.reset() }
        note("reset links \(pairs.map { "\($0.0)→\($0.1)" }.joined(separator: " "))")
    }

    /// Every link back to plain forwarding with the base delay.
    func healLinks() async {
        for l in links { await l.set(mode: .pass, delayMs: baseDelayMs) }
        note("all links healed")
    }

    // MARK: Processes

    /// Starts node `i` (with its Byzantine flags, if any).
    func start(_ i: Int) throws {
        guard processes[i] == nil else { return }
        let p = Process()
        var arguments = ["start", "--home", homes[i]]
        if let role = byzantine[i] {
            arguments += ["--byzantine", role.strategies, "--byzantine-seed", "\(role.seed)"]
            if role.collude { arguments.append("--collude") }
        }
        if let network = ports.network {
            let command = network.command(node: i, [binary] + arguments)
            p.executableURL = URL(fileURLWithPath: command.executable)
            p.arguments = command.arguments
        } else {
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = arguments
        }
        let path = logPath(i)
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        processes[i] = p
        OrphanRegistry.record(p.processIdentifier, home: homes[i])
        note("start node\(i) pid \(p.processIdentifier) \(arguments.dropFirst(3).joined(separator: " "))")
    }

    func startAll() throws { for i in homes.indices { try start(i) } }

    /// Process id of node `i` while it runs.
    func pid(_ i: Int) -> Int32? { processes[i]?.processIdentifier }

    func isRunning(_ i: Int) -> Bool { processes[i]?.isRunning ?? false }

    /// Nodes that are up and not paused.
    var live: [Int] { homes.indices.filter { isRunning($0) && !paused.contains($0) } }

    /// SIGKILL and wait for the process to be gone.
    func kill9(_ i: Int) async {
        guard let p = processes[i] else { return }
        if paused.contains(i) { kill(p.processIdentifier, SIGCONT); paused.remove(i) }
        kill(p.processIdentifier, SIGKILL)
        while p.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        processes[i] = nil
        note("kill -9 node\(i)")
    }

    /// SIGTERM (clean shutdown), SIGKILL after 10 s.
    func terminate(_ i: Int) async {
        guard let p = processes[i] else { return }
        if paused.contains(i) { kill(p.processIdentifier, SIGCONT); paused.remove(i) }
        kill(p.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        while p.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        processes[i] = nil
        note("terminated node\(i)")
    }

    func pause(_ i: Int) {
        guard let p = processes[i], !paused.contains(i) else { return }
        kill(p.processIdentifier, SIGSTOP)
        paused.insert(i)
        note("SIGSTOP node\(i)")
    }

    func resume(_ i: Int) {
        guard let p = processes[i], paused.contains(i) else { return }
        kill(p.processIdentifier, SIGCONT)
        paused.remove(i)
        note("SIGCONT node\(i)")
    }

    /// Runs SQL on a stopped node's database (SQLite C API; the node must not be running).
    func sql(_ i: Int, _ statement: String) throws {
        precondition(processes[i] == nil, "sql on a running node")
        var db: OpaquePointer?
        guard sqlite3_open(dbPath(i), &db) == SQLITE_OK else {
            sqlite3_close(db)
            throw RunnerError.tool("cannot open \(dbPath(i))")
        }
        defer { sqlite3_close(db) }
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, statement, nil, nil, &message)
        let error = message.map { String(cString: $0) } ?? ""
        sqlite3_free(message)
        note("sqlite node\(i): \(statement) → rc \(rc), \(sqlite3_changes(db)) row(s) \(error)")
        if rc != SQLITE_OK { throw RunnerError.tool("sql on node\(i) failed: \(error)") }
    }

    /// Cuts the last consensus-log row in half (a write torn by a crash).
    func tearLastLogRecord(_ i: Int) throws {
        try sql(i, "UPDATE consensus_log SET bytes = substr(bytes, 1, length(bytes) / 2) WHERE id = (SELECT max(id) FROM consensus_log)")
    }

    /// Makes two records in the middle of the consensus log unreadable (damage that is not a torn tail).
    func damageMiddleLogRecords(_ i: Int) throws {
        try sql(i, "UPDATE consensus_log SET bytes = zeroblob(24) WHERE id IN (SELECT id FROM consensus_log ORDER BY id "
            + "LIMIT 2 OFFSET (SELECT count(*) / 2 FROM consensus_log))")
    }

    /// Deletes the whole consensus log (amnesia: the node forgets what it signed).
    func eraseLog(_ i: Int) throws {
        try sql(i, "DELETE FROM consensus_log")
    }

    /// Stops everything: nodes (SIGKILL), proxies, event loop.
    func shutdown() async {
        for i in processes.keys.sorted() { await kill9(i) }
        for l in links { await l.stop() }
        try? await group.shutdownGracefully()
        note("cluster down")
        try? timeline?.close()
    }
}

/// A Byzantine node's command-line role.
struct ByzantineRole: Sendable {
    /// `--byzantine` value.
    var strategies: String
    /// `--byzantine-seed`.
    var seed: UInt64
    /// `--collude`.
    var collude: Bool = false
}

/// Failures of the runner itself (not findings about the nodes).
enum RunnerError: Error, CustomStringConvertible {
    case tool(String)
    case setup(String)

    var description: String {
        switch self {
        case let .tool(s): s
        case let .setup(s): "setup: \(s)"
        }
    }
}

/// Remembers the node processes runners started (a line "node-pid runner-pid home" each, in a
/// file under /tmp), so that a later run can SIGKILL the ones a crashed runner left behind: by
/// pid, only when the runner that started it is gone, and only while that pid's command line is
/// still `ledger-node start --home <the recorded home>` (pids get reused).
enum OrphanRegistry {
    static let path = NSTemporaryDirectory() + "ledger-adversarial-nodes.pids"

    static func record(_ pid: Int32, home: String) {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let h = FileHandle(forWritingAtPath: path) else { return }
        h.seekToEndOfFile()
        h.write(Data("\(pid) \(getpid()) \(home)\n".utf8))
        try? h.close()
    }

    private static func commandLine(_ pid: Int32) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return nil }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Kills the leftovers of dead runners; keeps the lines of runners still alive. Returns how many were killed.
    static func killLeftovers() -> Int {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 0 }
        var killed = 0
        var kept: [Substring] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count == 3, let pid = Int32(parts[0]), let runner = Int32(parts[1]), pid > 1 else { continue }
            if let runnerArgs = commandLine(runner), runnerArgs.contains("ledger-adversarial") {
                kept.append(line)
                continue
            }
            guard let args = commandLine(pid) else { continue }
            if args.contains("ledger-node"), args.contains(" start --home \(parts[2]) ") || args.hasSuffix(" start --home \(parts[2])") {
                kill(pid, SIGKILL)
                killed += 1
            }
        }
        try? Data(kept.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
        return killed
    }
}
