import LedgerCore

/// Runs many scenarios on a few worker tasks; each run stays single-threaded and seeded, so
/// results do not depend on scheduling.
public enum Sweep {
    /// Runs every scenario with at most `jobs` in parallel and returns results in input order.
    /// `progress` is called (on an arbitrary task) after each run completes.
    public static func run(
        _ scenarios: [Scenario], jobs: Int, parameters: SimulationParameters = SimulationParameters(),
        progress: (@Sendable (RunResult) -> Void)? = nil
    ) async -> [RunResult] {
        let workerCount = max(1, min(jobs, scenarios.count))
        return await withTaskGroup(of: (Int, RunResult).self) { group in
            var next = 0
            var results = [RunResult?](repeating: nil, count: scenarios.count)
            func launch() {
                let index = next
                next += 1
                let scenario = scenarios[index]
                group.addTask {
                    let result = Simulator.run(scenario, parameters: parameters)
                    progress?(result)
                    return (index, result)
                }
            }
            for _ in 0..<workerCount where next < scenarios.count { launch() }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < scenarios.count { launch() }
            }
            return results.map { $0! }
        }
    }

    /// The scenarios of a sweep: one per seed. With several strategies (`--strategy all`),
    /// seed `s` runs `strategies[s % count]`, so every strategy gets an equal share of seeds
    /// and each seed is still replayable on its own.
    public static func scenarios(
        seeds: ClosedRange<UInt64>, strategies: [ByzantineStrategyChoice], replicaCount: Int, byzantineCount: Int?,
        faults: FaultMix, targetCommits: Int, timeLimitMs: UInt64, clientCount: Int = SimulationLimits.clientCount,
        damagedLogs: Bool = false, fullNode: Bool = false
    ) -> [Scenario] {
        var out: [Scenario] = []
        precondition(!strategies.isEmpty, "a sweep needs at least one strategy")
        for seed in seeds {
            do {
                let strategy = strategies[Int(seed % UInt64(strategies.count))].strategy
                let byzantine = strategy == nil ? 0 : (byzantineCount ?? max(1, (QuorumRule(replicaCount) ?? .single).f))
                var scenario = Scenario(
                    seed: seed, replicaCount: replicaCount, strategy: strategy, byzantineCount: byzantine,
                    faults: faults, targetCommits: targetCommits, timeLimitMs: timeLimitMs, clientCount: clientCount,
                    damagedLogs: damagedLogs)
                scenario.fullNode = fullNode
                out.append(scenario)
            }
        }
        return out
    }
}
