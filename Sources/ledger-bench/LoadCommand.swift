import ArgumentParser
import BenchSupport
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import NIOCore
import NIOPosix
import Node
import Wallet

/// `ledger-bench load`: committed throughput and submit→commit latency of a running network, measured from the ledger.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Committed tx/s and submit→commit latency of a running testnet, measured from its blocks.",
        discussion: """
            Reads the nodes from --nodes (scripts/testnet and scripts/bench write it), signs every transfer before the \
            clock starts (deterministic bench accounts: ledger-node testnet --bench-accounts N --bench-seed S funds \
            them), then submits them as JSON-RPC batches (≤ 32 broadcast_tx_sync calls) over keep-alive HTTP/1.1 to all \
            nodes. Each sender's transfers always go to the same node and connection, in nonce order. A transfer the \
            node refuses as busy or nonce_gap is resent, ahead of newer ones, after the delay the node asks for.

            Commits are read from every node's WebSocket block subscription: the latency of a transfer is the arrival \
            of the block holding it from the node it was sent to, minus the time it fell due; committed tx/s, blocks/s and \
            block size come from the reference node's chain, over the steady state (first 20 % and last 10 % of each \
            phase dropped). After the load, every accepted transfer must be in that chain exactly once: the lost and \
            duplicated counts say whether it was. CPU (utime+stime) and RSS come from /proc/PID of each node.

            Modes: --rate R (open loop, default 1000/s), --sweep R1,R2,… (open loop per rate; reports the highest \
            rate whose p99 stays under 250 ms), --max or --outstanding W (closed loop: W transfers unsettled at any time).
            --scenario recovery kills -9 the primary at --kill-at of the phase (the load goes to the other nodes) and \
            measures how long committed throughput, in 250 ms windows, takes to get back to 90 % of the pre-kill rate.

            The ceiling is cores × single-core Ed25519 verify/s (libsodium, measured first) / validators: what \
            signature checks alone allow when every validator on this machine checks every transfer.
            """)

    @Option(help: "The nodes file: a JSON array of {\"id\",\"rpc\",\"pid\",\"home\",…}.")
    var nodes: String = ".testnet/nodes.json"

    @Option(help: "Seconds of load per phase (each sweep rate gets this long).")
    var duration: Double = 30

    @Option(help: "Open loop: transfers offered per second.")
    var rate: Double?

    @Option(help: "Open-loop sweep: comma-separated rates, e.g. 500,1000,2000,4000.")
    var sweep: String?

    @Flag(help: "Closed loop at maximum throughput (same as --outstanding 4000).")
    var max = false

    @Option(help: "Closed loop: transfers kept submitted and not yet committed on their node.")
    var outstanding: Int?

    @Option(help: "Sending bench accounts (the genesis must fund at least this many).")
    var accounts: Int = 1000

    @Option(name: .customLong("bench-seed"), help: "Seed of the bench accounts (as given to ledger-node testnet).")
    var benchSeed: UInt64 = 1

    @Option(help: "Keep-alive connections per node.")
    var connections: Int = 2

    @Option(help: "Transfers to pre-sign in closed-loop mode (default: duration × 10,000; open loop signs rate × duration).")
    var presign: Int?

    @Option(help: "Scenario: none or recovery.")
    var scenario: String = "none"

    @Option(name: .customLong("kill-at"), help: "Recovery: kill the primary at this fraction of the phase.")
    var killAt: Double = 0.4

    @Option(name: .customLong("drain-timeout"), help: "Seconds to wait after the load for accepted transfers to commit.")
    var drainTimeout: Double = BenchLimits.drainTimeoutSeconds

    @Option(name: .customLong("calibration-seconds"), help: "Seconds of Ed25519 verify calibration.")
    var calibrationSeconds: Double = 1

    @Option(help: "Write every figure as JSON to this file.")
    var json: String?

    func validate() throws {
        guard duration > 0, duration <= BenchLimits.maxDurationSeconds else {
            throw ValidationError("--duration must be in (0, \(Int(BenchLimits.maxDurationSeconds))] seconds")
        }
        let modes = [rate != nil, sweep != nil, max || outstanding != nil].filter { $0 }.count
        guard modes <= 1 else { throw ValidationError("choose one of --rate, --sweep, --max/--outstanding") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if let outstanding, outstanding < 1 { throw ValidationError("--outstanding must be at least 1") }
        guard accounts >= 1, accounts <= BenchAccounts.maxAccounts else {
            throw ValidationError("--accounts must be in 1…\(BenchAccounts.maxAccounts)")
        }
        guard (1...16).contains(connections) else { throw ValidationError("--connections must be in 1…16") }
        guard ["none", "recovery"].contains(scenario) else { throw ValidationError("--scenario must be none or recovery") }
        guard killAt > BenchLimits.warmupFraction, killAt < 0.8 else {
            throw ValidationError("--kill-at must be after the warm-up (\(BenchLimits.warmupFraction)) and before 0.8")
        }
        if scenario == "recovery" && sweep != nil { throw ValidationError("--scenario recovery runs one phase; drop --sweep") }
        guard drainTimeout > 0, drainTimeout <= 300 else { throw ValidationError("--drain-timeout must be in (0, 300]") }
    }

    /// The phases the options ask for, with the transfers each needs.
    func phases() throws -> [LoadPhase] {
        if let sweep {
            let rates = try sweep.split(separator: ",").map { part -> Double in
                guard let r = Double(part.trimmingCharacters(in: .whitespaces)), r > 0 else {
                    throw ValidationError("--sweep: '\(part)' is not a positive rate")
                }
                return r
            }
            guard !rates.isEmpty else { throw ValidationError("--sweep needs at least one rate") }
            return rates.map { LoadPhase(kind: .openLoop(rate: $0), durationSeconds: duration, transfers: Int(($0 * duration).rounded(.up))) }
        }
        if max || outstanding != nil {
            let w = outstanding ?? 4000
            let n = presign ?? Swift.max(w * 4, Int(duration * 10_000))
            return [LoadPhase(kind: .closedLoop(outstanding: w), durationSeconds: duration, transfers: n)]
        }
        let r = rate ?? 1000
        return [LoadPhase(kind: .openLoop(rate: r), durationSeconds: duration, transfers: Int((r * duration).rounded(.up)))]
    }

    func run() async throws {
        do {
            try await measure()
        } catch let e as LoadError {
            fflush(nil)
            FileHandle.standardError.write(Data("ledger-bench load: \(e)\n".utf8))
            throw ExitCode(2)
        }
    }

    private func measure() async throws {
        let phases = try phases()
        let total = phases.reduce(0) { $0 + $1.transfers }
        guard total <= BenchLimits.maxPresigned else {
            throw LoadError.invalidOptions("the run needs \(total) transfers; at most \(BenchLimits.maxPresigned) are pre-signed — lower --duration or the rates")
        }
        let nodes = try NodeEntry.load(path: self.nodes)
        print("ledger-bench load: \(nodes.count) node\(nodes.count == 1 ? "" : "s") from \(self.nodes)")

        // Who is who: chain id, heights, primary.
        let clients = try nodes.map { n -> RPCClient in
            do { return try RPCClient(url: n.rpc) } catch { throw LoadError.unreachable(url: n.rpc, reason: "\(error)") }
        }
        var heights: [UInt64] = []
        var chainID = ""
        var primary = 0
        for (i, c) in clients.enumerated() {
            let status: JSONValue
            do { status = try await c.call("status") } catch { throw LoadError.rpc(error, url: nodes[i].rpc, method: "status") }
            guard let id = status["chain_id"]?.stringValue, let h = status["height"]?.uint64Value else {
                throw LoadError.badAnswer(url: nodes[i].rpc, method: "status", reason: "no chain_id/height")
            }
            if i == 0 { chainID = id; primary = status["primary"]?.intValue ?? 0 }
            guard id == chainID else {
                throw LoadError.badAnswer(url: nodes[i].rpc, method: "status", reason: "chain \(id), but node \(nodes[0].id) is on \(chainID)")
            }
            heights.append(h)
        }
        let recovery = scenario == "recovery"
        let primaryIndex = nodes.firstIndex { $0.id == primary }
        if recovery {
            guard let p = primaryIndex, nodes[p].pid > 0 else {
                throw LoadError.recovery("the primary (validator \(primary)) has no pid in \(self.nodes)")
            }
        }
        let targets = nodes.indices.filter { !recovery || $0 != primaryIndex }
        let reference = targets[0]
        let (consensus, sync) = nodes[reference].chainParameters()
        print("chain \(chainID), heights \(heights), primary node\(primary); load goes to "
              + targets.map { "node\(nodes[$0].id)" }.joined(separator: ", ") + "; reference chain: node\(nodes[reference].id)")

        // Calibration while the network is idle (again after the load; the ceiling uses the faster round).
        var calibration = VerifyCalibration.measure(seconds: calibrationSeconds, validators: nodes.count)
        print(String(format: "calibration: Ed25519 verify %.0f /s on one core; ceiling %.0f tx/s (%d cores / %d validators)",
                     calibration.verifyPerSecond, calibration.ceilingTps, calibration.cores, calibration.validators))

        // Keys and starting nonces.
        let keys = (0..<accounts).map { BenchAccounts.signingKey(benchSeed: benchSeed, index: $0) }
        var nonces: [UInt64] = []
        nonces.reserveCapacity(accounts)
        for (i, key) in keys.enumerated() {
            let address = Address(publicKey: key.publicKey).string
            let account: JSONValue
            do { account = try await clients[reference].call("account", .object([("address", .string(address))])) } catch {
                throw LoadError.rpc(error, url: nodes[reference].rpc, method: "account \(address)")
            }
            guard let balance = account["balance"]?.uint64Value, let nonce = account["nonce"]?.uint64Value else {
                throw LoadError.badAnswer(url: nodes[reference].rpc, method: "account", reason: "no balance/nonce for \(address)")
            }
            let perSender = UInt64(total / accounts + 1)
            guard balance >= perSender else { throw LoadError.unfunded(index: i, address: address, seed: benchSeed) }
            nonces.append(nonce)
        }

        // Sign everything before the clock starts.
        print("signing \(total) transfers from \(accounts) accounts on \(ProcessInfo.processInfo.activeProcessorCount) cores…")
        let signStart = DispatchTime.now().uptimeNanoseconds
        let step = Swift.max(1, total / 10)
        let transfers = try PresignedTransfers.sign(count: total, chainID: chainID, keys: keys, startNonces: nonces) { done in
            if done / step != (done - 1) / step || done == total { print("  signed \(done)/\(total)") }
        }
        let signSeconds = Double(DispatchTime.now().uptimeNanoseconds - signStart) / 1e9
        print(String(format: "signed %d transfers in %.1f s (%.0f /s)", total, signSeconds, Double(total) / signSeconds))

        // The run.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let engine = LoadEngine(loop: loop, nodes: nodes, transfers: transfers, targets: targets, reference: reference,
                                connectionsPerNode: connections)
        var records: [PhaseRecord] = []
        var drained = false
        do {
            try await engine.connect(fromHeights: heights.map { $0 + 1 }).get()
            print("connected: \(targets.count * connections) submit connections, \(nodes.count) block subscriptions")
            for (i, phase) in phases.enumerated() {
                let name = phases.count > 1 ? "\(phase.label) (\(i + 1)/\(phases.count))" : phase.label
                print("phase \(name): \(Int(phase.durationSeconds)) s, up to \(phase.transfers) transfers")
                let running = engine.run(phase, name: name)
                if recovery {
                    try await killPrimary(at: phase.durationSeconds * killAt, engine: engine, nodes: nodes, reference: reference)
                }
                records.append(try await running.get())
                let timeout = i == phases.count - 1 ? drainTimeout : Swift.min(drainTimeout, 15)
                drained = try await engine.drain(timeoutSeconds: timeout, name: "drain").get()
                if !drained { print("  ! not every accepted transfer committed within \(Int(timeout)) s") }
            }
        } catch {
            try? await engine.shutdown().get()
            try? await group.shutdownGracefully()
            if let e = error as? LoadError { throw e }
            throw LoadError.unreachable(url: nodes.map(\.rpc).joined(separator: ", "), reason: describe(error))
        }
        // Stop the loop first: afterwards nothing touches the engine, and its state is read here.
        try? await engine.shutdown().get()
        try? await group.shutdownGracefully()
        calibration = calibration.adding(VerifyCalibration.measure(seconds: calibrationSeconds, validators: nodes.count))
        let report = LoadReport(
                chainID: chainID, nodes: nodes, reference: reference, accounts: accounts, benchSeed: benchSeed,
                mode: modeName, scenario: recovery ? "recovery" : nil, consensus: consensus, dbSynchronous: sync,
                calibration: calibration,
                phases: records.map { PhaseFigures.compute(engine, $0, warmup: BenchLimits.warmupFraction, cooldown: BenchLimits.cooldownFraction) },
                summary: engine.tally.summary, rejectedReasons: engine.rejectedReasons, rejectedSamples: engine.rejectedSamples,
                retriedReasons: engine.retriedReasons,
                failedReceiptReasons: engine.failedReceiptReasons, failedOurs: engine.failedOurs,
                foreignTransactions: engine.foreignTransactions, heightGaps: engine.heightGaps,
                malformedNotifications: engine.malformedNotifications, connectionFailures: engine.connectionFailures,
                rssMiBMax: engine.samples.map { s in s.map(\.rssKiB).max().map { Double($0) / 1024 } },
                drained: drained, presigned: total, signSeconds: signSeconds, connectionsPerNode: connections)
        report.printTable()
        if let json {
            try report.write(path: json)
            print("JSON: \(json)")
        }
        if report.summary.lost > 0 || report.summary.duplicated > 0 {
            fflush(nil)
            FileHandle.standardError.write(Data(
                "ledger-bench load: the ledger lost \(report.summary.lost) and duplicated \(report.summary.duplicated) accepted transfers\n".utf8))
            throw ExitCode(1)
        }
    }

    private var modeName: String {
        if sweep != nil { return "sweep" }
        if max || outstanding != nil { return "closed" }
        return "open"
    }

    /// Sleeps until `seconds` into the phase, then kills -9 the primary the reference node reports.
    private func killPrimary(at seconds: Double, engine: LoadEngine, nodes: [NodeEntry], reference: Int) async throws {
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        let client = try RPCClient(url: nodes[reference].rpc)
        let status: JSONValue
        do { status = try await client.call("status") } catch {
            throw LoadError.rpc(error, url: nodes[reference].rpc, method: "status (before the kill)")
        }
        guard let primary = status["primary"]?.intValue, let index = nodes.firstIndex(where: { $0.id == primary }) else {
            throw LoadError.recovery("status of node\(nodes[reference].id) names no primary")
        }
        guard index != reference else {
            throw LoadError.recovery("the primary moved to the reference node\(primary) before the kill; run again")
        }
        guard nodes[index].pid > 0, kill(nodes[index].pid, SIGKILL) == 0 else {
            throw LoadError.recovery("cannot kill node\(primary) (pid \(nodes[index].pid)): errno \(errno)")
        }
        engine.noteKill(node: index, atNs: engine.now())
        print("  killed primary node\(primary) (pid \(nodes[index].pid)) with SIGKILL")
    }
}
