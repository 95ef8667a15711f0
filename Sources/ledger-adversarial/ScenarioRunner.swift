import Adversary
import Foundation
import LedgerCore
import Node
import Wallet

/// Runs one scenario end to end on a fresh cluster: setup, load + fault script, recovery,
/// drain, then the checks through every honest node's RPC.
struct ScenarioRunner {
    /// Settings shared by every scenario of a run.
    struct Settings: Sendable {
        var binary: String
        var workRoot: String
        var basePort: Int
        var logLevel: String
        var clients: Int = 6
        /// Load keeps running this long after the fault script ends.
        var recovery_s: Double = 4
        /// Pending transfers must commit within this long after the load stops.
        var drain_s: Double = 30
        /// New blocks required after the heal.
        var minNewBlocks: UInt64 = 3
        /// An open-loop load near saturation beside each fault script (`--saturate`), or `nil`.
        var saturation: SaturationLoad?
        /// The namespace network every scenario's nodes run in (`--netns`), or `nil` for loopback.
        var network: NamespaceNetwork?
        /// Every link's one-way delay, each direction (`--link-delay-ms`).
        var linkDelayMs: Int64 = 0
    }

    let settings: Settings

    /// Height samples of the honest nodes, for the recovery time.
    actor HeightLog {
        var samples: [(at: Date, heights: [Int: UInt64])] = []
        var isStopped = false
        func add(_ heights: [Int: UInt64]) { samples.append((Date(), heights)) }
        func stop() { isStopped = true }
    }

    func run(_ scenario: Scenario, index: Int, seed: UInt64) async -> ScenarioOutcome {
        var seedSource = AdversaryRandom(seed: seed, label: scenario.name)
        let scenarioSeed = seedSource.next()
        let directory = (settings.workRoot as NSString).appendingPathComponent(scenario.name)
        var outcome = ScenarioOutcome(scenario: scenario, seed: seed, directory: directory)
        // Scenario k uses the k-th block of 200 ports; a block something else listens on is skipped.
        var base = settings.basePort + (index % 16) * 200
        for k in 0..<16 {
            let candidate = settings.basePort + ((index + k) % 16) * 200
            if PortPlan(base: candidate, count: 4).firstBusyPort() == nil { base = candidate; break }
        }
        var roles: [Int: ByzantineRole] = [:]
        for (node, strategies) in scenario.byzantine {
            roles[node] = ByzantineRole(strategies: strategies, seed: scenarioSeed &+ UInt64(node), collude: scenario.colluding.contains(node))
        }
        let cluster: Cluster
        do {
            cluster = try Cluster(directory: directory, basePort: base, binary: settings.binary, byzantine: roles,
                                  checkpointInterval: scenario.checkpointInterval, viewChangeTimeoutMs: scenario.viewChangeTimeoutMs,
                                  logLevel: settings.logLevel, benchAccounts: settings.saturation == nil ? 0 : SaturationLoad.accounts,
                                  withFullNode: scenario.fullNode, network: settings.network, baseDelayMs: settings.linkDelayMs)
        } catch {
            outcome.liveness = .fail("cannot create the cluster: \(error)")
            return outcome
        }
        await execute(scenario, seed: scenarioSeed, cluster: cluster, outcome: &outcome)
        await cluster.shutdown()
        return outcome
    }

    private func execute(_ scenario: Scenario, seed: UInt64, cluster: Cluster, outcome: inout ScenarioOutcome) async {
        let honest = await cluster.honest
        let clients = await cluster.clients
        let genesis = await cluster.genesis
        let faucet = await cluster.testnet.faucetKey
        let quickFail = scenario.expectFailure
        let load = LoadDriver(chainID: genesis.chainID, nodes: clients, honest: honest, entry: scenario.clientEntry,
                              clientCount: settings.clients, seed: seed)

        // Setup.
        do { try await cluster.checkPortsFree() } catch {
            outcome.liveness = .fail("\(error)")
            outcome.notes.append("not run: \(error)")
            return
        }
        do {
            try await cluster.startProxies()
            try await cluster.startAll()
            try await waitConnected(cluster: cluster, honest: honest, seconds: 30)
            try await load.fund(from: faucet, timeout: quickFail ? 15 : 30)
        } catch {
            outcome.liveness = .fail("\(error)")
            outcome.notes.append("setup failed: \(error)")
            await cluster.note("setup failed: \(error)")
            await check(scenario, cluster: cluster, load: load, honest: honest, outcome: &outcome)
            return
        }
        await cluster.note("setup done; load starts")

        // Attack: load + fault script, heights sampled for the recovery time.
        let heights = HeightLog()
        let sampler = Task {
            while await !heights.isStopped {
                var h: [Int: UInt64] = [:]
                for i in honest {
                    if let s = try? await clients[i].object("status", timeout: 0.5), let v = s["height"]?.uint64Value { h[i] = v }
                }
                await heights.add(h)
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let startHeight = await maxHeight(clients, honest)
        let ports = cluster.ports
        let trafficBefore = await sampleTraffic(honest, clients: clients)
        let attackStart = Date()
        await load.start()
        var saturating: Task<Result<SaturationLoad.Figures, RunnerError>, Never>?
        // The open-loop load goes where the scenario's clients go (`clientEntry`: the nodes an attack
        // draws the clients to, e.g. selective-gossip's n1), else to the honest nodes.
        let loadEntry = (scenario.clientEntry ?? honest).filter { !scenario.restartsNodes.contains($0) }
        if let saturation = settings.saturation, !loadEntry.isEmpty {
            var nodes: [(id: Int, rpc: String, pid: Int32)] = []
            for i in loadEntry { nodes.append((i, ports.rpcURL(i), await cluster.pid(i) ?? 0)) }
            let directory = cluster.directory
            saturating = Task { await saturation.run(nodes: nodes, directory: directory) }
            await cluster.note("open-loop load of \(saturation.rate) transfers/s for \(saturation.seconds) s started")
        }
        let context = FaultContext(cluster: cluster, count: await cluster.count, random: AdversaryRandom(seed: seed, label: "faults"))
        do { try await scenario.script(context) } catch {
            outcome.liveness = .fail("fault script: \(error)")
            await cluster.note("fault script failed: \(error)")
        }
        if let saturating {
            switch await saturating.value {
            case let .success(figures):
                outcome.saturation = figures
                await cluster.note(String(format: "open-loop load: %.0f committed transfers/s, p99 %@ ms, lost %d, duplicated %d",
                                          figures.committedTps, figures.p99Ms.map { String(format: "%.0f", $0) } ?? "-",
                                          figures.lost, figures.duplicated))
            case let .failure(error):
                outcome.notes.append("open-loop load: \(error)")
                await cluster.note("open-loop load: \(error)")
            }
        }
        let attackEnd = Date()
        outcome.outbound = outboundPerNode(from: trafficBefore, to: await sampleTraffic(honest, clients: clients))
        let findings = context.findings
        outcome.measurements = context.measurements
        let healedAt = context.healedAt
        await cluster.note("fault script done")
        try? await Task.sleep(for: .milliseconds(Int(settings.recovery_s * 1000)))

        // Drain: no new transfers; every pending one must commit.
        await load.stopGenerating()
        let drainDeadline = Date().addingTimeInterval(quickFail ? 15 : settings.drain_s)
        while await load.pendingCount > 0, Date() < drainDeadline { try? await Task.sleep(for: .milliseconds(200)) }
        let stillPending = await load.pendingCount
        await load.stop()
        await heights.stop()
        await sampler.value
        if stillPending > 0, !outcome.liveness.isFailure {
            outcome.liveness = .fail("\(stillPending) honest transfers still uncommitted \(Int(quickFail ? 15 : settings.drain_s)) s after the load stopped")
        }
        // Honest nodes converge on one height.
        let settleDeadline = Date().addingTimeInterval(quickFail ? 5 : 20)
        var finalHeights: [Int: UInt64] = [:]
        repeat {
            finalHeights = [:]
            for i in honest { if let s = try? await clients[i].object("status", timeout: 1) { finalHeights[i] = s["height"]?.uint64Value ?? 0 } }
            if finalHeights.count == honest.count, Set(finalHeights.values).count == 1 { break }
            try? await Task.sleep(for: .milliseconds(200))
        } while Date() < settleDeadline
        if !outcome.liveness.isFailure {
            if finalHeights.count < honest.count {
                outcome.liveness = .fail("honest node(s) \(honest.filter { finalHeights[$0] == nil }) do not answer at the end")
            } else if Set(finalHeights.values).count > 1 {
                outcome.liveness = .fail("honest heights did not converge: \(finalHeights.sorted { $0.key < $1.key }.map { "n\($0.key)=\($0.value)" }.joined(separator: " "))")
            }
        }

        // Recovery and throughput.
        let samples = await heights.samples
        let reference = healedAt.map { h in samples.last { $0.at <= h }?.heights.values.max() ?? startHeight } ?? startHeight
        if let healedAt {
            // Recovery: from the heal (or crash) until a transfer SENT after it has committed.
            if let seconds = await load.firstCommitOfTransferSent(after: healedAt) {
                outcome.recovery_s = seconds
            } else if !outcome.liveness.isFailure {
                outcome.liveness = .fail("no transfer sent after the heal committed")
            }
        }
        let newBlocks = (finalHeights.values.min() ?? 0) &- min(reference, finalHeights.values.min() ?? 0)
        if !outcome.liveness.isFailure, newBlocks < settings.minNewBlocks {
            outcome.liveness = .fail("only \(newBlocks) new blocks after the heal (need \(settings.minNewBlocks))")
        }
        outcome.clientP99Ms = await load.p99LatencyMs(from: attackStart, to: attackEnd)
        if let problems = context.serviceFindings {
            outcome.service = problems.isEmpty ? .pass : .fail(problems.joined(separator: "; "))
        }
        let attackSeconds = max(attackEnd.timeIntervalSince(attackStart), 0.001)
        outcome.throughput = Double(await load.confirmedCount(from: attackStart, to: attackEnd)) / attackSeconds
        let rejections = await load.rejections
        if !rejections.isEmpty { outcome.notes.append("client rejections: \(rejections.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))") }
        await check(scenario, cluster: cluster, load: load, honest: honest, outcome: &outcome)
        if !findings.isEmpty { outcome.validity = .fail(findings.joined(separator: "; ")) }
        if outcome.viewChanges > 0, let stall = Self.longestCommitStall(samples.map { ($0.at, $0.heights.values.max() ?? 0) },
                                                                        from: attackStart, to: attackEnd) {
            outcome.measurements.append(String(format: "longest commit stall during the fault script: %.1f s (no honest height rose; sampled every 100 ms)", stall))
        }
    }

    /// Safety, validity, durability and evidence through the honest nodes' RPC.
    private func check(_ scenario: Scenario, cluster: Cluster, load: LoadDriver, honest: [Int], outcome: inout ScenarioOutcome) async {
        let clients = await cluster.clients
        let checks = Checks(genesis: await cluster.genesis, honest: honest, clients: clients)
        var snapshots: [ChainSnapshot] = []
        for i in honest {
            do { snapshots.append(try await ChainSnapshot.fetch(node: i, client: clients[i])) } catch {
                outcome.notes.append("node\(i) snapshot failed: \(error)")
            }
        }
        let confirmed = await load.confirmed
        outcome.committed = confirmed.count
        outcome.viewChanges = snapshots.map(\.view).max() ?? 0
        if let most = scenario.maxViewChanges {
            outcome.bound = outcome.viewChanges <= most ? .pass
                : .fail("honest nodes ended in view \(outcome.viewChanges): \(outcome.viewChanges) view change(s) forced, at most \(most) allowed")
        }
        if snapshots.isEmpty {
            outcome.safety = .skipped("no honest node answered")
            return
        }
        let (safety, certificates) = await checks.safety(snapshots)
        outcome.safety = safety
        outcome.certificates = certificates
        if let longest = snapshots.max(by: { $0.height < $1.height }) {
            outcome.validity = await checks.validity(longest, knownAddresses: await load.addresses)
        }
        outcome.durability = checks.durability(snapshots, confirmed: confirmed)
        if snapshots.count < honest.count, !outcome.durability.isFailure {
            outcome.durability = .fail("could not read every honest ledger")
        }
        if !scenario.equivocators.isEmpty {
            var logs: [Int: String] = [:]
            for i in honest { logs[i] = (try? String(contentsOfFile: await cluster.logPath(i), encoding: .utf8)) ?? "" }
            outcome.evidence = await checks.evidence(offenders: scenario.equivocators, logs: logs)
        }
    }

    private func waitConnected(cluster: Cluster, honest: [Int], seconds: Double) async throws {
        let clients = await cluster.clients
        let n = await cluster.count
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var ok = true
            for i in honest {
                guard let s = try? await clients[i].object("status", timeout: 1), (s["peers"]?.intValue ?? 0) >= n - 1 else { ok = false; break }
            }
            if ok { return }
            try await Task.sleep(for: .milliseconds(150))
        }
        throw RunnerError.setup("honest nodes \(honest) not all connected within \(Int(seconds)) s")
    }

    /// The longest time in `from…to` during which the highest honest height did not rise (a view change's stall,
    /// from the fault until the new view commits), from `(time, highest height)` samples; `nil` without samples.
    static func longestCommitStall(_ samples: [(at: Date, height: UInt64)], from: Date, to: Date) -> Double? {
        let window = samples.filter { $0.at >= from && $0.at <= to }
        guard var last = window.first else { return nil }
        var longest = 0.0
        for sample in window.dropFirst() where sample.height > last.height {
            longest = max(longest, sample.at.timeIntervalSince(last.at))
            last = sample
        }
        return max(longest, to.timeIntervalSince(last.at))
    }

    /// Each honest node's outbound traffic counters (nodes that do not answer are left out).
    private func sampleTraffic(_ nodes: [Int], clients: [RPCClient]) async -> [Int: TrafficSample] {
        var samples: [Int: TrafficSample] = [:]
        for i in nodes { samples[i] = await TrafficSample.scrape(clients[i]) }
        return samples
    }

    /// The highest outbound frames and bytes per second of any honest node between two samples.
    private func outboundPerNode(from before: [Int: TrafficSample], to after: [Int: TrafficSample]) -> (frames: Double, bytes: Double)? {
        let rates = after.compactMap { node, sample in before[node].map { sample.rates(since: $0) } }
        guard !rates.isEmpty else { return nil }
        return (rates.map(\.frames).max()!, rates.map(\.bytes).max()!)
    }

    private func maxHeight(_ clients: [RPCClient], _ nodes: [Int]) async -> UInt64 {
        var best: UInt64 = 0
        for i in nodes { if let s = try? await clients[i].object("status", timeout: 1) { best = max(best, s["height"]?.uint64Value ?? 0) } }
        return best
    }
}
