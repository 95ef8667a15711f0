// Test support: generates a testnet, runs real ledger-node processes on 127.0.0.1 and talks JSON-RPC to them.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerCore
import LedgerCrypto
import Node
import TestSupport
import XCTest

/// The shared Prometheus text checker, named here for the NodeTests files that do not import TestSupport.
typealias PrometheusTextCheck = TestSupport.PrometheusTextCheck

/// Errors of the harness itself (not of the node under test).
enum HarnessError: Error, CustomStringConvertible {
    case noBinary(String)
    case timeout(String)
    case rpc(String)

    var description: String {
        switch self {
        case let .noBinary(s): "ledger-node binary not found: \(s)"
        case let .timeout(s): "timed out: \(s)"
        case let .rpc(s): "rpc: \(s)"
        }
    }
}

/// A running n-validator test network made of child processes; `stopAll()` kills them all.
final class TestnetHarness: @unchecked Sendable {
    let directory: String
    let basePort: Int
    let result: TestnetGenerator.Result
    let binary: String
    private(set) var processes: [Int: Process] = [:]
    /// Homes of full nodes added with `addFullNode()`; full node k is node `count + k`.
    private(set) var fullNodeHomes: [String] = []
    var chainID: String { result.genesis.chainID }
    var count: Int { result.homes.count }
    var faucetNonce: UInt64 = 0

    private static let portCounter = PortCounter()

    init(validators: Int = 4, checkpointInterval: UInt64 = 10, viewChangeTimeoutMs: UInt64 = 1_000,
         maxBatchTransactions: Int = ConsensusParameters.testDefaults.maxBatchTransactions) throws {
        binary = try Self.locateBinary()
        basePort = Self.portCounter.next()
        directory = NSTemporaryDirectory() + "nodetests-\(getpid())-\(basePort)"
        try? FileManager.default.removeItem(atPath: directory)
        var consensus = ConsensusParameters.testDefaults
        consensus.checkpointInterval = checkpointInterval
        consensus.window = checkpointInterval * 4
        consensus.viewChangeTimeoutMs = viewChangeTimeoutMs
        consensus.batchDelayMs = 10
        consensus.maxBatchTransactions = maxBatchTransactions
        result = try TestnetGenerator(validators: validators, outputDirectory: directory, basePort: basePort,
                                      chainID: "node-tests", consensus: consensus).generate()
    }

    /// `ledger-node` next to the test bundle (swift test builds the executables too), or $LEDGER_NODE_BIN.
    static func locateBinary() throws -> String {
        if let env = ProcessInfo.processInfo.environment["LEDGER_NODE_BIN"] { return env }
        var candidates: [URL] = []
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for b in Bundle.allBundles { candidates.append(b.bundleURL.deletingLastPathComponent()) }
        for dir in candidates {
            let path = dir.appendingPathComponent("ledger-node").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw HarnessError.noBinary("looked in \(candidates.map(\.path)); build it with swift build --product ledger-node")
    }

    func rpcURL(_ i: Int) -> URL {
        URL(string: "http://127.0.0.1:\(i < count ? basePort + 100 + i : basePort + 110 + (i - count))/")!
    }

    /// The home of node `i` (a validator below `count`, then the full nodes).
    func home(_ i: Int) -> String { i < count ? result.homes[i] : fullNodeHomes[i - count] }

    /// Makes the home of a full node (its own key, role "full", the network's genesis); returns its node index.
    func addFullNode() throws -> Int {
        let k = fullNodeHomes.count
        let home = directory + "/full\(k)"
        try NodeKey.generate().write(path: home + "/node_key.json")
        var config = NodeConfig(p2pListen: "127.0.0.1:\(basePort + 10 + k)", rpcListen: "127.0.0.1:\(basePort + 110 + k)")
        config.role = "full"
        try config.write(path: home + "/" + NodeHome.configFileName)
        try FileManager.default.copyItem(atPath: result.homes[0] + "/genesis.json", toPath: home + "/genesis.json")
        fullNodeHomes.append(home)
        return count + k
    }

    func start(_ i: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["start", "--home", home(i), "--log-level", "info"]
        let logPath = home(i) + "/node.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        processes[i] = p
    }

    func startAll() throws { for i in 0..<count { try start(i) } }

    /// SIGKILL one node and wait (at most 10 s) for it to die.
    func kill9(_ i: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let p = processes[i] else { return }
        processes[i] = nil
        kill(p.processIdentifier, SIGKILL)
        try waitForExitSync(p, "node \(i) to die of SIGKILL", timeout: .seconds(10), file: file, line: line)
    }

    /// SIGSTOP one node: it stays connected but does nothing (a stalled primary).
    func pause(_ i: Int) {
        if let p = processes[i] { kill(p.processIdentifier, SIGSTOP) }
    }

    /// SIGCONT a paused node.
    func resume(_ i: Int) {
        if let p = processes[i] { kill(p.processIdentifier, SIGCONT) }
    }

    /// SIGTERM one node and wait (at most 30 s) for its clean shutdown; past that it is SIGKILLed and the test fails.
    func terminate(_ i: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let p = processes[i] else { return }
        processes[i] = nil
        kill(p.processIdentifier, SIGTERM)
        try waitForExitSync(p, "node \(i) to shut down on SIGTERM", timeout: .seconds(30), file: file, line: line)
    }

    /// SIGKILLs every node (SIGKILL also ends a stopped one); for `defer`, so a node that does not die is recorded
    /// as a failure by the wait rather than thrown.
    func stopAll() {
        for i in processes.keys.sorted() { try? kill9(i) }
    }

    func removeFiles() {
        if ProcessInfo.processInfo.environment["NODETESTS_KEEP"] != nil { return }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func log(_ i: Int) -> String { (try? String(contentsOfFile: home(i) + "/node.log", encoding: .utf8)) ?? "" }

    // MARK: RPC

    func call(_ i: Int, _ method: String, _ params: String = "{}") async throws -> [String: Any] {
        var request = URLRequest(url: rpcURL(i))
        request.httpMethod = "POST"
        request.timeoutInterval = 3
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = Data("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\(method)\",\"params\":\(params)}".utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError.rpc("not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        return json
    }

    func status(_ i: Int) async throws -> [String: Any] {
        let r = try await call(i, "status")
        guard let result = r["result"] as? [String: Any] else { throw HarnessError.rpc("status: \(r)") }
        return result
    }

    func height(_ i: Int) async throws -> UInt64 {
        UInt64(try await status(i)["height"] as? String ?? "") ?? 0
    }

    func blockHash(_ i: Int, _ height: UInt64) async throws -> String? {
        let r = try await call(i, "block", "{\"height\":\"\(height)\"}")
        return (r["result"] as? [String: Any])?["hash"] as? String
    }

    func nonce(_ i: Int, of key: PublicKey) async throws -> UInt64 {
        let r = try await call(i, "account", "{\"address\":\"\(Address(publicKey: key))\"}")
        return UInt64(((r["result"] as? [String: Any])?["nonce"] as? String) ?? "") ?? 0
    }

    /// Submits one faucet transfer (next nonce) to node `i`; returns the JSON-RPC response.
    @discardableResult
    func submitTransfer(to i: Int, amount: UInt64 = 1) async throws -> [String: Any] {
        let recipient = Address(publicKey: SigningKey.generate().publicKey)
        let tx = try Transaction.signed(chainID: chainID, sender: result.faucetKey, recipient: recipient, amount: amount,
                                        nonce: faucetNonce)
        let r = try await call(i, "broadcast_tx_sync", "{\"tx\":\"\(Hex.encode(tx.encoded()))\"}")
        if r["result"] != nil { faucetNonce += 1 }
        return r
    }

    /// The shared `waitUntil` (TestSupport), polling every 100 ms: conditions here are RPC calls to real processes.
    func waitUntil(_ what: String, seconds: Double, file: StaticString = #filePath, line: UInt = #line,
                   _ condition: () async throws -> Bool) async throws {
        try await TestSupport.waitUntil(what, timeout: .milliseconds(Int64(seconds * 1000)), poll: .milliseconds(100),
                                        file: file, line: line, condition)
    }

    /// Waits until every node in `nodes` counts all the others as peers.
    func waitConnected(_ nodes: [Int], seconds: Double = 20, file: StaticString = #filePath, line: UInt = #line) async throws {
        try await waitUntil("nodes \(nodes) connected", seconds: seconds, file: file, line: line) {
            for i in nodes {
                guard let peers = try? await status(i)["peers"] as? Int, peers == count - 1 else { return false }
            }
            return true
        }
    }

    /// Waits until every node in `nodes` has executed the faucet's transactions so far.
    func waitCommitted(_ nodes: [Int], seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line) async throws {
        let target = faucetNonce
        try await waitUntil("nonce \(target) committed on \(nodes)", seconds: seconds, file: file, line: line) {
            for i in nodes {
                guard let n = try? await nonce(i, of: result.faucetKey.publicKey), n >= target else { return false }
            }
            return true
        }
    }

    /// Asserts that every node in `nodes` holds the same blocks up to the lowest of their heights, which must be above 0.
    func assertIdenticalBlocks(_ nodes: [Int], file: StaticString = #filePath, line: UInt = #line) async throws {
        var heights: [UInt64] = []
        for i in nodes { heights.append(try await height(i)) }
        let common = heights.min() ?? 0
        XCTAssertGreaterThan(common, 0, "no common block on \(nodes)", file: file, line: line)
        guard let first = nodes.first else { return }
        let reference = try await hashes(first, upTo: common)
        XCTAssertFalse(reference.contains(nil), "node \(first) lacks a block below \(common)", file: file, line: line)
        for i in nodes.dropFirst() {
            let mine = try await hashes(i, upTo: common)
            XCTAssertEqual(mine, reference, "node \(i) disagrees with node \(first) below height \(common)", file: file, line: line)
        }
    }

    /// Block hashes at heights 1...upTo on node `i`.
    func hashes(_ i: Int, upTo: UInt64) async throws -> [String?] {
        var out: [String?] = []
        for h in 1...max(1, upTo) { out.append(try await blockHash(i, h)) }
        return out
    }
}

/// Hands out port ranges (P2P at base…base+19, RPC at base+100…base+119) that collide neither between the tests
/// of one run nor with other test runs on the machine: each range is claimed with an exclusive `flock` on
/// /tmp/ledger-test-ports/BASE, held until this process exits (the kernel releases it even after a crash), and
/// skipped when another process holds it or when any of its ports is already bound by some other program.
final class PortCounter: @unchecked Sendable {
    private let lock = NSLock()
    // Below Linux's ephemeral range (32768+), so port-0 listeners of other tests cannot take ours.
    private static let first = 20_000
    private static let last = 32_400
    private var next_: Int = first + Int(getpid() % 60) * 200
    private var claims: [Int32] = []

    func next() -> Int {
        lock.lock(); defer { lock.unlock() }
        for _ in 0..<((Self.last - Self.first) / 200 + 1) {
            let base = next_
            next_ += 200
            if next_ > Self.last { next_ = Self.first }
            if let fd = Self.claim(base) {
                claims.append(fd)
                return base
            }
        }
        // Every range taken: fall back to the next one; a collision then fails loudly at bind.
        return next_
    }

    private static func claim(_ base: Int) -> Int32? {
        let folder = NSTemporaryDirectory() + "ledger-test-ports"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fd = open(folder + "/\(base)", O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
        let ports = Array(base..<(base + 20)) + Array((base + 100)..<(base + 120))
        guard ports.allSatisfy(LocalPort.isFree) else { close(fd); return nil }
        return fd
    }
}
