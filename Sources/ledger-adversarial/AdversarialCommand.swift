import ArgumentParser
import Foundation

@main
struct AdversarialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-adversarial",
        abstract: "Byzantine, crash and network-fault scenarios against real ledger-node processes, checked for safety, validity, durability, liveness and evidence.",
        discussion: """
            Each scenario runs on a fresh four-node test network on 127.0.0.1 (its own folder and ports from --base-port
            on), with a fault-injecting TCP proxy on every directed P2P link; with --netns each node runs in its own
            network namespace and address (ladv-*, 198.18.2.0/24; needs root), the proxies on the bridge, and
            --link-delay-ms gives every link a one-way delay the faults add to. One table line per scenario; exit status 1
            when a check fails (or the f+1 self-test is NOT detected), with the seed and the command that replays it.
            `ledger-adversarial link-proxy` runs the same link proxy alone, for a network of hosts (scripts/testnet --netns).
            """,
        subcommands: [LinkProxyCommand.self])

    @Option(help: "Scenario name, comma-separated names, or 'all'.") var scenario: String = "all"
    @Option(help: "Seed of every random choice (client keys, amounts, Byzantine choices, fault timing).") var seed: UInt64 = 1
    @Flag(help: "Only the representative subset (baseline, equivocating primary, silent backup, primary crash, partitions of the primary and of a backup, self-test).")
    var quick = false
    @Flag(help: "List the scenarios and what each proves.") var list = false
    @Option(help: "The ledger-node binary (default: next to this executable).") var binary: String?
    @Option(help: "Folder for the scenarios' node homes and logs (default: a new temp folder).") var work: String?
    @Option(name: .customLong("base-port"), help: "First port; scenario k uses base + 200·(k mod 16) … +125.") var basePort: Int = 29000
    @Option(name: .customLong("log-level"), help: "Log level of the nodes.") var logLevel: String = "info"
    @Flag(help: "Keep every scenario's folder, not only the failing ones.") var keep = false
    @Option(help: ArgumentHelp(
        "Also offer an open-loop load of R transfers/s (ledger-bench, from bench accounts in genesis) to the honest nodes (to the nodes the scenario draws its clients to, e.g. selective-gossip's n1) for the first --saturate-seconds of each fault script, and report its committed rate as a share of baseline's (sat%).",
        discussion: "Aardvark's measure: pick R near half the closed-loop peak `scripts/bench --max` measures on this machine in the same build.",
        valueName: "R")) var saturate: Int?
    @Option(name: .customLong("saturate-seconds"), help: "Seconds of the open-loop load per scenario.") var saturateSeconds: Int = 10
    @Option(name: .customLong("bench"), help: "The ledger-bench binary for --saturate (default: next to this executable).") var bench: String?
    @Flag(help: "Run each node in its own network namespace and address (\(NamespaceNetwork.prefix)*, \(NamespaceNetwork.subnet).0/24), made and removed by this run; needs root and `ip netns`.")
    var netns = false
    @Option(name: .customLong("link-delay-ms"), help: "One-way delay of every link, each direction, ms (a fault's extra delay adds to it).")
    var linkDelayMs: Int64 = 0
    @Option(name: .customLong("netns-script"), help: "The script that builds the namespace network (default: scripts/lib/netns-hosts of this checkout).")
    var netnsScript: String?

    func run() async throws {
        if list {
            for s in Scenario.catalog {
                say("\(s.name)\(s.quick ? " [quick]" : "")\(s.expectFailure ? " [expected failure]" : ""): \(s.summary)")
            }
            return
        }
        let chosen: [Scenario]
        if scenario == "all" {
            chosen = quick ? Scenario.catalog.filter(\.quick) : Scenario.catalog
        } else {
            var picked: [Scenario] = []
            for name in scenario.split(separator: ",").map(String.init) {
                guard let s = Scenario.catalog.first(where: { $0.name == name }) else {
                    throw ValidationError("unknown scenario '\(name)'; --list shows them")
                }
                picked.append(s)
            }
            chosen = picked
        }
        guard (0...LinkProxy.maxDelayMs).contains(linkDelayMs) else {
            throw ValidationError("--link-delay-ms must be 0...\(LinkProxy.maxDelayMs)")
        }
        if netns, let s = chosen.first(where: { $0.loopbackOnly != nil }), scenario != "all" {
            throw ValidationError("scenario \(s.name) runs on loopback only (\(s.loopbackOnly ?? "")); leave out --netns")
        }
        let runnable = netns ? chosen.filter { $0.loopbackOnly == nil } : chosen
        let script = netns ? try namespaceScript() : nil
        if runnable.count < chosen.count {
            say("ledger-adversarial: on --netns, left out (loopback only): \(chosen.filter { $0.loopbackOnly != nil }.map(\.name).joined(separator: ", "))")
        }
        let executable = binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("ledger-node").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("no ledger-node binary at \(executable); build it or pass --binary")
        }
        let leftovers = OrphanRegistry.killLeftovers()
        if leftovers > 0 { say("ledger-adversarial: killed \(leftovers) ledger-node process(es) left behind by an earlier run that crashed") }
        let root = work ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("ledger-adversarial-\(getpid())")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var settings = ScenarioRunner.Settings(binary: executable, workRoot: root, basePort: basePort, logLevel: logLevel)
        settings.linkDelayMs = linkDelayMs
        if let script {
            settings.network = try NamespaceNetwork.create(script: script, validators: 4, fullNode: runnable.contains(where: \.fullNode))
            say("ledger-adversarial: namespace network up: \(settings.network?.hosts.map { "\($0.namespace) \($0.address)" }.joined(separator: ", ") ?? ""); proxies on \(settings.network?.gateway ?? "")")
        }
        defer {
            if let network = settings.network {
                do { try network.teardown() } catch { sayError("ledger-adversarial: \(error)") }
            }
        }
        if let saturate {
            guard saturate > 0, (1...600).contains(saturateSeconds) else {
                throw ValidationError("--saturate must be positive and --saturate-seconds in 1...600")
            }
            let benchPath = bench ?? URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("ledger-bench").path
            guard FileManager.default.isExecutableFile(atPath: benchPath) else {
                throw ValidationError("no ledger-bench binary at \(benchPath); build it (swift build -c release --product ledger-bench) or pass --bench")
            }
            settings.saturation = SaturationLoad(bench: benchPath, rate: saturate, seconds: saturateSeconds)
        }
        let runner = ScenarioRunner(settings: settings)
        say("ledger-adversarial: \(runnable.count) scenario(s), seed \(seed), work folder \(root)\(netns ? ", namespace network" : "")\(linkDelayMs > 0 ? ", \(linkDelayMs) ms links" : "")")
        say(ScenarioOutcome.header)
        var outcomes: [ScenarioOutcome] = []
        var baseline: Double?
        var baselineOutbound: (frames: Double, bytes: Double)?
        var baselineP99Ms: Double?
        var baselineSaturation: Double?
        let started = Date()
        for (index, s) in runnable.enumerated() {
            // On standard error, for a watchdog (scripts/adversarial) to name the scenario that stops making progress.
            sayError("ledger-adversarial: scenario \(s.name) started (\(index + 1)/\(runnable.count))")
            let scenarioStart = Date()
            var outcome = await runner.run(s, index: index, seed: seed)
            sayError("ledger-adversarial: scenario \(s.name) finished in \(Int(Date().timeIntervalSince(scenarioStart).rounded())) s")
            if s.name == "baseline", !outcome.anyCheckFailed {
                baseline = outcome.throughput
                baselineP99Ms = outcome.clientP99Ms
            }
            if let factor = s.maxClientP99OfBaseline {
                if let base = baselineP99Ms, let p99 = outcome.clientP99Ms {
                    let line = String(format: "honest clients' p99 %.0f ms vs baseline %.0f ms (limit %.1f×)", p99, base, factor)
                    outcome.notes.append(line)
                    if p99 > factor * base {
                        let failure = "\(line): over the limit"
                        outcome.service = outcome.service.isFailure ? .fail("\(outcome.service); \(failure)") : .fail(failure)
                    }
                } else {
                    outcome.notes.append("p99 not compared: run baseline in the same invocation (--scenario baseline,\(s.name))")
                }
            }
            if let baseline, baseline > 0, s.throughputShareNotApplicable == nil { outcome.throughputShare = outcome.throughput / baseline }
            if let sat = outcome.saturation {
                // A transfer committed twice is a broken ledger; one accepted but not committed by the end of the
                // bench's drain (e.g. taken by a node while it was partitioned) is reported, not failed: nobody was
                // told it committed (the closed-loop clients' confirmed transfers are the durability check).
                if sat.duplicated > 0 {
                    let failure = "the open-loop load saw \(sat.duplicated) transfers committed twice"
                    outcome.durability = outcome.durability.isFailure ? .fail("\(outcome.durability); \(failure)") : .fail(failure)
                }
                if sat.lost > 0 {
                    outcome.measurements.append("open-loop load: \(sat.lost) accepted transfers not committed within 15 s of the load's end")
                }
            }
            if s.name == "baseline", !outcome.anyCheckFailed { baselineSaturation = outcome.saturation?.committedTps }
            if let base = baselineSaturation, base > 0, let tps = outcome.saturation?.committedTps, s.throughputShareNotApplicable == nil {
                outcome.saturationShare = tps / base
            }
            // Aardvark's bar: under a Byzantine validator, throughput near saturation keeps at least half of fault-free.
            if let share = outcome.saturationShare, s.hasByzantineValidator, !s.expectFailure,
               share < Scenario.minimumSaturationShareUnderByzantine {
                let failure = String(format: "open-loop throughput under the Byzantine node %.0f%% of fault-free at the same load (at least %.0f%%)",
                                     share * 100, Scenario.minimumSaturationShareUnderByzantine * 100)
                outcome.bound = outcome.bound.isFailure ? .fail("\(outcome.bound); \(failure)") : .fail(failure)
            }
            if s.name == "baseline", !outcome.anyCheckFailed { baselineOutbound = outcome.outbound }
            if let base = baselineOutbound, base.frames > 0, base.bytes > 0, let out = outcome.outbound {
                outcome.outboundShare = max(out.frames / base.frames, out.bytes / base.bytes)
            }
            if let most = s.maxOutboundShare {
                if let share = outcome.outboundShare, let out = outcome.outbound, let base = baselineOutbound {
                    let detail = String(format: "busiest honest node sent %.0f frames/s, %.0f KiB/s; baseline %.0f frames/s, %.0f KiB/s",
                                        out.frames, out.bytes / 1_024, base.frames, base.bytes / 1_024)
                    say("    outbound: \(detail)")
                    if share > most { outcome.bound = .fail(String(format: "outbound %.1f× the baseline (at most %.1f×): ", share, most) + detail) }
                    else if !outcome.bound.isFailure { outcome.bound = .pass }
                } else if !outcome.bound.isFailure {
                    outcome.bound = .skipped("no baseline outbound traffic to compare with (run baseline first)")
                }
            }
            say(outcome.line)
            for line in outcome.measurements { say("    \(line)") }
            if let reason = s.throughputShareNotApplicable { say("    tput% n/a: \(reason)") }
            if s.maxClientP99OfBaseline != nil { for note in outcome.notes where note.contains("p99") { say("    \(note)") } }
            if !outcome.isAsExpected {
                for (name, verdict) in outcome.verdicts where verdict.isFailure { say("    \(name): \(verdict)") }
                for note in outcome.notes { say("    note: \(note)") }
                say("    logs kept: \(outcome.directory)  (node*/node.log, runner.log)")
            } else if !keep {
                try? FileManager.default.removeItem(atPath: outcome.directory)
            }
            outcomes.append(outcome)
        }
        let failures = outcomes.filter { !$0.isAsExpected }
        say(String(format: "%d scenario(s) in %.0f s; %d as expected, %d failed", outcomes.count,
                     Date().timeIntervalSince(started), outcomes.count - failures.count, failures.count))
        if let b = baseline { say(String(format: "fault-free throughput: %.1f committed transfers/s (closed-loop clients)", b)) }
        if let b = baselineSaturation, let r = saturate {
            say(String(format: "fault-free open-loop load: %.0f of %d offered transfers/s committed (sat%% is each scenario's share of it)", b, r))
        }
        if failures.isEmpty {
            if !keep { try? FileManager.default.removeItem(atPath: root) }
            return
        }
        for f in failures {
            let network = netns ? " --netns --link-delay-ms \(linkDelayMs)" : (linkDelayMs > 0 ? " --link-delay-ms \(linkDelayMs)" : "")
            say("FAILED: scenario \(f.scenario.name), seed \(f.seed); replay: scripts/adversarial\(network) --scenario \(f.scenario.name) --seed \(f.seed)")
            say("        logs: \(f.directory)")
        }
        throw ExitCode(1)
    }

    /// `--netns-script`, else `scripts/lib/netns-hosts` under the working folder or in the checkout this executable
    /// was built in (`.build/<triple>/debug/ledger-adversarial`); root and `ip` are checked first, with the reason.
    private func namespaceScript() throws -> String {
        guard getuid() == 0 else { throw ValidationError("--netns needs root (network namespaces, veth, bridge); run as root or leave out --netns") }
        guard FileManager.default.isExecutableFile(atPath: NamespaceNetwork.ipTool) else {
            throw ValidationError("--netns needs iproute2's `ip` (ip netns); install iproute2 or leave out --netns")
        }
        let executableFolder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = netnsScript.map { [$0] } ?? [
            FileManager.default.currentDirectoryPath + "/scripts/lib/netns-hosts",
            executableFolder.appendingPathComponent("../../../scripts/lib/netns-hosts").standardized.path,
            executableFolder.appendingPathComponent("../../scripts/lib/netns-hosts").standardized.path,
        ]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ValidationError("--netns: no netns-hosts script at \(candidates.joined(separator: " or ")); pass --netns-script")
        }
        return found
    }
}

/// Writes one line to standard output at once (unbuffered, so a log file shows progress).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes one line to standard error at once.
func sayError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
