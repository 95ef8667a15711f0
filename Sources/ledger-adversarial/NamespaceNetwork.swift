import Foundation

/// The namespace network of `ledger-adversarial --netns`: every node in its own Linux network namespace with its own
/// address on a bridge, the link proxies in the runner's namespace on the bridge's address. Built and removed by
/// `scripts/lib/netns-hosts` (the recipe of `scripts/testnet up --netns`, one of each) under this run's prefix and
/// subnet; a run that crashed leaves namespaces that the next run finds by prefix and removes first.
struct NamespaceNetwork: Sendable {
    /// Names of everything this network creates start with this (`ladv-n0`, `ladv-v0`, `ladv-br`).
    static let prefix = "ladv-"
    /// Its /24: never the netns testnet's (198.18.0) nor scripts/test-netns's (198.18.1).
    static let subnet = "198.18.2"
    /// Longest a create or a teardown may take (it stops processes left in namespaces, 10 s each at most).
    static let scriptTimeoutMs = 90_000
    /// One run at a time owns the prefix: the runner's pid is kept here while its network exists.
    static let ownerFile = NSTemporaryDirectory() + "ledger-adversarial-netns.pid"

    /// One node's place: its namespace, its address, and the address the proxy's connections to its peers leave from.
    struct Host: Sendable, Equatable {
        var namespace: String
        var address: String
        var source: String
    }

    /// The bridge's address (where the link proxies listen).
    let gateway: String
    /// Node `i`'s host at index `i` (validators, then the full node).
    let hosts: [Host]
    let script: String

    /// Builds the network for `validators` validators and a full node when `fullNode`; removes this prefix's leftovers
    /// first. Throws with the script's message without root or `ip netns`, or when another live run owns the prefix.
    static func create(script: String, validators: Int, fullNode: Bool) throws -> NamespaceNetwork {
        try claim()
        do {
            _ = try run(script, ["teardown"])
            let output = try run(script, ["create", "\(validators)", fullNode ? "1" : "0"])
            let network = try parse(output, script: script)
            guard network.hosts.count == validators + (fullNode ? 1 : 0) else {
                throw RunnerError.setup("\(script) create listed \(network.hosts.count) nodes, not \(validators + (fullNode ? 1 : 0))")
            }
            return network
        } catch {
            // Nothing half-made is left behind, and the prefix is given up.
            try? NamespaceNetwork(gateway: "", hosts: [], script: script).teardown()
            throw error
        }
    }

    /// Parses `netns-hosts create`'s layout: `gateway ADDRESS`, then `node I NAMESPACE ADDRESS SOURCE` per node, in order.
    static func parse(_ output: String, script: String) throws -> NamespaceNetwork {
        var gateway: String?
        var hosts: [Host] = []
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            if words.count == 2, words[0] == "gateway" {
                gateway = words[1]
            } else if words.count == 5, words[0] == "node", Int(words[1]) == hosts.count {
                hosts.append(Host(namespace: words[2], address: words[3], source: words[4]))
            } else {
                throw RunnerError.setup("\(script) create printed an unexpected line: \(line)")
            }
        }
        guard let gateway else { throw RunnerError.setup("\(script) create printed no gateway") }
        return NamespaceNetwork(gateway: gateway, hosts: hosts, script: script)
    }

    /// Stops what still runs in the namespaces and removes them, the veths and the bridge; gives up the prefix.
    func teardown() throws {
        defer { try? FileManager.default.removeItem(atPath: Self.ownerFile) }
        _ = try Self.run(script, ["teardown"])
    }

    /// The command that runs `arguments` inside node `i`'s namespace (`ip netns exec` execs it: same pid).
    func command(node i: Int, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        (Self.ipTool, ["netns", "exec", hosts[i].namespace] + arguments)
    }

    static let ipTool = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "ip"

    /// Records this process as the prefix's owner, unless another ledger-adversarial that owns it is still running.
    private static func claim() throws {
        if let text = try? String(contentsOfFile: ownerFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
           pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
           String(decoding: data, as: UTF8.self).contains("ledger-adversarial") {
            throw RunnerError.setup("another ledger-adversarial --netns (pid \(pid)) owns the \(prefix) namespaces; wait for it or stop it")
        }
        try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: ownerFile))
    }

    /// Runs the script with this run's prefix and subnet; its standard output, or its message when it fails or
    /// exceeds `scriptTimeoutMs` (then it is killed).
    private static func run(_ script: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["bash", script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TESTNET_NETNS_PREFIX"] = prefix
        environment["TESTNET_NETNS_SUBNET"] = subnet
        p.environment = environment
        // Output to files, read after it exits (a pipe nobody drains could block it).
        let base = NSTemporaryDirectory() + "ledger-adversarial-netns-\(getpid())-\(arguments[0])"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer { for s in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + s) } }
        p.standardOutput = FileHandle(forWritingAtPath: base + ".out")
        p.standardError = FileHandle(forWritingAtPath: base + ".err")
        do { try p.run() } catch { throw RunnerError.setup("cannot run \(script): \(error)") }
        let deadline = Date().addingTimeInterval(Double(scriptTimeoutMs) / 1_000)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            throw RunnerError.setup("\(script) \(arguments[0]) did not finish within \(scriptTimeoutMs / 1_000) s")
        }
        let stdout = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        guard p.terminationStatus == 0 else {
            let message = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw RunnerError.setup("--netns: \(message.isEmpty ? "\(script) \(arguments[0]) exited \(p.terminationStatus)" : message)")
        }
        return stdout
    }
}
