// ledger-sim: runs the PBFT replicas in the deterministic simulator (one seed, a sweep, or
// the collusion self-test) and reports violations with the command that replays them.
import Adversary
import ArgumentParser
import Foundation
import LedgerCore
import Simulation

@main
@available(macOS 10.15, *)
struct LedgerSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-sim",
        abstract: "Deterministic simulator for the PBFT ledger: seeded network faults, crashes, Byzantine replicas, checkers.",
        discussion: """
            One seed reproduces a run exactly (at the same git commit). Checkers:
              safety    no two honest replicas commit different batches or
                        blocks at one height; nothing invalid (bad signature,
                        wrong chain id) commits; no transaction commits twice
                        in blocks honest primaries proposed; honest replicas
                        never sign two conflicting votes
              liveness  with at most f faulty replicas, every submitted
                        transaction commits within a stated bound after GST
                        (the bound is printed at the start of a traced run)
              memory    a replica's log stays within the watermark window and
                        holds nothing at or below the low watermark
              contract  commits arrive in order with valid certificates,
                        honest messages verify and fit the 96 KiB frame
                        limit, evidence verifies, no honest replica
                        still holds a committed request pending
              invariant every replica's own state keeps its invariants
                        (Replica.checkInvariants) after every event
              membership every applied validator-set change had a quorum
                        of valid approvals from its epoch's set; the next
                        set the ledger computed is the one the simulator
                        maps nodes and keys by; messages and certificates
                        verify against their own epoch's keys

            Faults (--faults):
              none        calm network
              network     delay shape, loss up to 30 %, duplication,
                          reordering, clock drift
              partitions  network + halves / isolate-primary / one-way
                          partitions that heal by GST
              crashes     network + crash/restart of honest replicas from
                          their persisted consensus log
              all         everything above
              random      one of the above, drawn from the seed (default)
            --damaged-logs adds to crashes/all: the first honest replica to
            crash finds records of its consensus log unreadable at each
            restart, drops them and withholds its votes until its stable
            checkpoint passes the voting fence (the node's rule). It counts as
            one more fault, so liveness is checked only while Byzantine + 1 ≤ f.

            Validator-set changes: --add-validator-after S adds validator n
            once block S executed. --membership-changes add,remove,rotate
            runs several changes, one per epoch, in that order (any order,
            any length); each next one is submitted --change-after blocks
            (default 20) past the previous change's boundary. Ids are
            renumbered per epoch as the ledger does (a removal shifts later
            ids down); a rotated validator signs with its new key from its
            new epoch on. A removed validator steps down at its boundary:
            its retired replica answers laggards, it orders nothing more.
            A set never falls below 4 (at n = 4, add before remove).

            Strategies (--strategy; f Byzantine replicas unless --byzantine):
            \(ByzantineStrategy.allCases.map { "  \($0.rawValue.padding(toLength: 19, withPad: " ", startingAt: 0))\($0.summary)" }.joined(separator: "\n"))
              none               honest replicas only
              all                sweeps: seed s runs entry s mod \(ByzantineStrategy.allCases.count + 1) of
                                 none + the list above

            Examples:
              ledger-sim --seed 42 --strategy equivocate
              ledger-sim --seed 42 --strategy amnesia --trace t.log
              ledger-sim --seeds 0..999 --strategy none
              ledger-sim --seeds 0..449 --strategy all --faults all
              ledger-sim --seeds 0..299 --strategy all --clients 400
              ledger-sim --seeds 0..199 --faults crashes --damaged-logs
              ledger-sim --seeds 0..199 --strategy all --faults all --membership-changes add,remove,rotate
              ledger-sim --self-test

            A single run prints one line per fault, view change and first
            commit of each height; --trace FILE also gets every replica's
            commits, timers, state transfers and evidence. A sweep prints a
            table and its throughput. Exit status: 0 when every run passes
            (--self-test: when the fork is caught), 1 on a violation, 64 on
            bad arguments. A violation prints the property, the seed and the
            exact command that replays it.
            """)

    /// Entry point: fix the hash seed (see `DeterministicHashing`), then parse and run.
    static func main() async {
        DeterministicHashing.ensure()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    @Option(help: "Run this one seed (prints an event line per fault, view change and commit).")
    var seed: UInt64?

    @Option(help: "Sweep an inclusive range of seeds, e.g. 0..999.")
    var seeds: String?

    @Option(help: "Byzantine strategy: none, all (sweeps) or one of: \(ByzantineStrategy.names.joined(separator: ", ")).")
    var strategy: String = "none"

    @Option(help: "Number of replicas n ≥ 4 (f = ⌊(n − 1)/3⌋, quorum ⌈(n + f + 1)/2⌉).")
    var replicas: Int = 4

    @Option(help: "Number of Byzantine replicas (default: f when a strategy is given, else 0).")
    var byzantine: Int?

    @Option(help: "Fault mix: none, network, partitions, crashes, all, random (drawn per seed).")
    var faults: String = "random"

    @Option(help: "Stop once every honest replica executed this many batches.")
    var commits: Int = 200

    @Option(name: .customLong("time-limit-ms"), help: "Virtual-time limit of a run, in milliseconds.")
    var timeLimitMs: UInt64 = 600_000

    @Option(help: "Simulated clients, one transfer in flight each; a few hundred fill the batches.")
    var clients: Int = SimulationLimits.clientCount

    @Option(help: "Write the full trace of a single run (--seed) to this file.")
    var trace: String?

    @Option(help: "Parallel runs in a sweep (each run is single-threaded and deterministic).")
    var jobs: Int = 2

    @Flag(name: .customLong("self-test"), help: "Run the collusion self-test (and, where n ≠ 3f + 1, the 2f + 1-quorum self-test): exit 0 only if the safety checker catches each fork.")
    var selfTest = false

    @Flag(name: .customLong("check-determinism"), help: "Run the seed twice and compare the final ledger hashes.")
    var checkDeterminism = false

    @Flag(help: "Single run: print only the summary, not the event lines.")
    var quiet = false

    @Flag(name: .customLong("damaged-logs"), help: "Damage the consensus log of the first honest replica to crash at each restart (see Faults).")
    var damagedLogs = false

    @Flag(name: .customLong("full-node"), help: "Add a full node (ChainFollower) fed by the replicas' pushes, checked for safety and for trailing the honest replicas by at most 5 s.")
    var fullNode = false

    @Flag(name: .customLong("no-pace-check"), help: "Turn the backups' proposal-pace check off (to measure what it changes).")
    var noPaceCheck = false

    @Option(name: .customLong("add-validator-after"),
            help: "Once this block is executed, an operator submits a validator-set change adding validator n (approved by a quorum, or --change-approvals); the block that commits it ends epoch 0, and every node switches to epoch 1 (n + 1 validators) at the boundary.")
    var addValidatorAfter: UInt64?

    @Option(name: .customLong("change-approvals"),
            help: "How many validators of its epoch approve each change (default: the quorum; fewer: the ledger refuses it).")
    var changeApprovals: Int?

    @Option(name: .customLong("membership-changes"),
            help: "Several validator-set changes, one per epoch, in order: a comma-separated list of add, remove, rotate (e.g. add,remove,rotate). The first is submitted after block --add-validator-after (else --change-after), each next one --change-after blocks past the previous change's boundary. Who is removed or re-keyed is drawn from the seed; a removal never leaves more Byzantine validators than the next set tolerates, and no set may fall below 4.")
    var membershipChanges: String?

    @Option(name: .customLong("change-after"),
            help: "Blocks past the previous change's boundary (for the first change: past genesis, unless --add-validator-after) before the operator submits the next change.")
    var changeAfter: UInt64 = 20

    private var parameters: SimulationParameters {
        var p = SimulationParameters()
        p.isPaceCheckEnabled = !noPaceCheck
        p.addsValidatorAfterBlock = addValidatorAfter
        p.changeApprovals = changeApprovals
        p.membershipChanges = membershipChanges.flatMap(MembershipChangeKind.parseList) ?? []
        p.changeAfterBlocks = changeAfter
        return p
    }

    /// The options that set the run's validator-set changes, as they replay it.
    private var membershipOptions: String {
        (addValidatorAfter.map { " --add-validator-after \($0)" } ?? "")
            + (changeApprovals.map { " --change-approvals \($0)" } ?? "")
            + (membershipChanges.map { " --membership-changes \($0)" } ?? "")
            + (membershipChanges != nil && changeAfter != 20 ? " --change-after \(changeAfter)" : "")
    }

    mutating func run() async throws {
        guard let mix = FaultMix(rawValue: faults) else {
            throw ValidationError("unknown --faults \(faults); use one of \(FaultMix.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let choices = ByzantineStrategyChoice.parse(strategy) else {
            throw ValidationError("unknown --strategy \(strategy); use none, all or one of \(ByzantineStrategy.names.joined(separator: ", "))")
        }
        if let text = membershipChanges, MembershipChangeKind.parseList(text) == nil {
            throw ValidationError("--membership-changes takes a comma-separated list of add, remove, rotate; got \(text)")
        }
        if let problem = parameters.membershipProblem(replicaCount: replicas) { throw ValidationError(problem) }
        if selfTest { try runSelfTest() }
        if let range = seeds {
            try await runSweep(range: range, choices: choices, mix: mix)
        } else if let seed {
            guard choices.count == 1 else { throw ValidationError("--strategy all needs --seeds; a single run takes one strategy") }
            try runOne(seed: seed, strategy: choices[0].strategy, mix: mix)
        } else if !selfTest {
            throw ValidationError("give --seed S, --seeds A..B or --self-test (see --help)")
        }
    }

    private func scenario(seed: UInt64, strategy: ByzantineStrategy?, mix: FaultMix) -> Scenario {
        let f = (QuorumRule(replicas) ?? .single).f
        var scenario = Scenario(
            seed: seed, replicaCount: replicas, strategy: strategy,
            byzantineCount: strategy == nil ? (byzantine ?? 0) : (byzantine ?? f), faults: mix,
            targetCommits: commits, timeLimitMs: timeLimitMs, clientCount: clients, damagedLogs: damagedLogs)
        scenario.fullNode = fullNode
        return scenario
    }

    private func runOne(seed: UInt64, strategy: ByzantineStrategy?, mix: FaultMix) throws {
        let s = scenario(seed: seed, strategy: strategy, mix: mix)
        if let problem = s.problem { throw ValidationError(problem) }
        let (sink, file) = try makeTraceSink()
        let started = Date()
        let result = Simulator.run(s, parameters: parameters, trace: sink)
        try? file?.close()
        let wall = Date().timeIntervalSince(started)
        print(result.summary)
        print("wall \(String(format: "%.3f", wall))s")
        if checkDeterminism {
            let again = Simulator.run(s, parameters: parameters)
            let same = again.ledgerHash == result.ledgerHash && again.ledgerHeight == result.ledgerHeight
                && again.events == result.events
            print("determinism: second run ledger \(again.ledgerHeight):\(again.ledgerHash.hex.prefix(16)) — \(same ? "identical" : "DIFFERENT")")
            if !same { throw ExitCode(1) }
        }
        if !result.passed {
            print(result.failureReport)
            if !membershipOptions.isEmpty { print("  with\(membershipOptions)") }
            throw ExitCode(1)
        }
    }

    /// The trace sink of a single run: compact lines to stdout (unless --quiet), everything to --trace.
    private func makeTraceSink() throws -> (((TraceLevel, String) -> Void)?, FileHandle?) {
        var file: FileHandle?
        if let path = trace {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            file = FileHandle(forWritingAtPath: path)
            if file == nil { throw ValidationError("cannot write the trace file \(path)") }
        }
        let quiet = self.quiet
        if quiet && file == nil { return (nil, nil) }
        return ({ level, line in
            if level == .compact && !quiet { print(line) }
            file?.write(Data((line + "\n").utf8))
        }, file)
    }

    private func runSweep(range: String, choices: [ByzantineStrategyChoice], mix: FaultMix) async throws {
        let parts = range.components(separatedBy: "..")
        guard parts.count == 2, let low = UInt64(parts[0]), let high = UInt64(parts[1]), low <= high else {
            throw ValidationError("--seeds must look like A..B with A ≤ B, got \(range)")
        }
        let scenarios = Sweep.scenarios(
            seeds: low...high, strategies: choices, replicaCount: replicas, byzantineCount: byzantine,
            faults: mix, targetCommits: commits, timeLimitMs: timeLimitMs, clientCount: clients, damagedLogs: damagedLogs,
            fullNode: fullNode)
        if let problem = scenarios.first?.problem { throw ValidationError(problem) }
        let started = Date()
        let results = await Sweep.run(scenarios, jobs: max(1, jobs), parameters: parameters) { result in
            if !result.passed { print(result.failureReport) }
        }
        let wall = Date().timeIntervalSince(started)
        var report = SweepReport()
        for r in results { report.add(r) }
        print("")
        for line in report.table { print(line) }
        let planned = parameters.plannedChangeKinds.count
        if planned > 0 {
            let all = results.filter { r in
                r.validatorSetChanges.count == planned && r.ledgerHeight > (r.validatorSetChanges.last?.lastOfEpoch ?? .max)
            }.count
            let fewest = results.map(\.validatorSetChanges.count).min() ?? 0
            print("")
            print("membership: \(all) of \(results.count) runs committed all \(planned) planned change(s) and every honest "
                + "validator ran past the last boundary (fewest changes committed in a run: \(fewest))")
            if fullNode {
                let followed = results.filter { $0.fullNodeEpoch == UInt64($0.validatorSetChanges.count) }.count
                print("membership: in \(followed) of \(results.count) runs the full node followed into the run's last epoch")
            }
        }
        let perMinute = Double(results.count) / max(wall, 1e-9) * 60
        let commitsPerSecond = Double(report.totalCommits) / max(wall, 1e-9)
        print("")
        print("\(results.count) runs (n=\(replicas), faults \(mix), target \(commits) commits) in \(String(format: "%.2f", wall))s wall "
            + "with \(jobs) jobs: \(String(format: "%.0f", perMinute)) seeds/minute, "
            + "\(String(format: "%.0f", commitsPerSecond)) simulated commits per wall second")
        if !report.failures.isEmpty {
            print("\(report.failures.count) run(s) violated a property; replay with:")
            for f in report.failures { print("  \(f.scenario.replayCommand)\(membershipOptions)") }
            throw ExitCode(1)
        }
    }

    private func runSelfTest() throws {
        let seed = self.seed ?? 1
        let (sink, file) = try makeTraceSink()
        let rule = QuorumRule(replicas) ?? .single
        let outcome = Simulator.collusionSelfTest(seed: seed, replicaCount: replicas, trace: sink)
        try? file?.close()
        print("self-test: \(rule.quorumIntersection) colluding replicas (equivocating primary + double-voting accomplices), \(rule), seed \(seed)")
        for v in outcome.result.violations { print("  caught: \(v)") }
        var passed = outcome.caught
        if !outcome.caught { print("self-test FAILED: \(rule.quorumIntersection) colluders ran without a reported safety violation") }
        let classic = 2 * rule.f + 1
        if classic < rule.quorum {
            // Between sizes 3f + 1 the classic quorum is unsafe: one equivocating primary must fork it.
            let weak = Simulator.quorumSelfTest(seed: seed, replicaCount: replicas, quorum: classic)
            print("self-test: one equivocating primary, n=\(replicas) with the classic quorum 2f + 1 = \(classic) instead of \(rule.quorum), seed \(seed)")
            for v in weak.result.violations where v.property == .agreement || v.property == .stateDivergence { print("  caught: \(v)") }
            if !weak.caught { print("self-test FAILED: a quorum of \(classic) of \(replicas) ran without a reported safety violation") }
            passed = passed && weak.caught
        }
        // A validator-set change applied with one approval fewer than the quorum must be reported.
        let membership = Simulator.membershipSelfTest(seed: seed, replicaCount: replicas)
        print("self-test: a validator-set change applied with \(rule.quorum - 1) approvals (quorum \(rule.quorum)), seed \(seed)")
        for v in membership.result.violations where v.property == .validity { print("  caught: \(v)") }
        if !membership.caught { print("self-test FAILED: a change without its quorum took effect without a reported violation") }
        passed = passed && membership.caught
        // So must the second of two changes: the check covers every applied change, not only the first.
        let second = Simulator.membershipSelfTest(seed: seed, replicaCount: replicas, changes: [.add, .rotate])
        print("self-test: the second of two validator-set changes (add, then rotate) applied one approval short, seed \(seed)")
        for v in second.result.violations where v.property == .validity { print("  caught: \(v)") }
        if !second.caught { print("self-test FAILED: a second change without its quorum took effect without a reported violation") }
        passed = passed && second.caught
        guard passed else {
            print("  replay: swift run -c release ledger-sim --self-test --seed \(seed) --replicas \(replicas)")
            throw ExitCode(1)
        }
        print("self-test passed: the checkers reported every fork and the change without its quorum")
        throw ExitCode(0)
    }
}


