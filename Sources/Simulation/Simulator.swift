import Adversary
import LedgerCore
import LedgerCrypto
import PBFT

/// Runs one scenario deterministically: the real PBFT replicas, a seeded network and fault
/// schedule, simulated clients and execution, and the safety, liveness and memory checkers.
public enum Simulator {
    /// Runs `scenario` to its target or time limit.
    ///
    /// - Parameters:
    ///   - parameters: consensus and workload parameters (defaults suit sweeps).
    ///   - trace: receives trace lines with their level (optional; `nil` is fastest).
    public static func run(
        _ scenario: Scenario, parameters: SimulationParameters = SimulationParameters(),
        trace: ((TraceLevel, String) -> Void)? = nil
    ) -> RunResult {
        if let problem = scenario.problem {
            return RunResult(
                scenario: scenario,
                violations: [Violation(property: .simulator, time: .zero, detail: "bad scenario: \(problem)")],
                commits: 0, viewChanges: 0, ledgerHash: .zero, ledgerHeight: 0, endTime: .zero,
                stopReason: .quiescent, events: 0, messagesDelivered: 0, evidenceCount: 0, transactionsCommitted: 0)
        }
        let run = SimulationRun(scenario: scenario, parameters: parameters, trace: trace)
        return run.execute()
    }

    /// Runs `scenario` twice and compares the final ledger hashes, heights, commit and event
    /// counts. Returns the two results and whether they agree.
    public static func checkDeterminism(
        _ scenario: Scenario, parameters: SimulationParameters = SimulationParameters()
    ) -> (first: RunResult, second: RunResult, isDeterministic: Bool) {
        let a = run(scenario, parameters: parameters)
        let b = run(scenario, parameters: parameters)
        let same = a.ledgerHash == b.ledgerHash && a.ledgerHeight == b.ledgerHeight && a.commits == b.commits
            && a.events == b.events && a.endTime == b.endTime && a.messagesDelivered == b.messagesDelivered
            && a.violations == b.violations
        return (a, b, same)
    }

    /// The f + 1 collusion self-test for `seed`: an equivocating primary and a double-voting
    /// accomplice (f + 1 Byzantine replicas, beyond PBFT's assumption) on a calm network.
    /// The safety checker must report an agreement violation; `caught` says whether it did.
    public static func collusionSelfTest(
        seed: UInt64, replicaCount: Int = 4, parameters: SimulationParameters = SimulationParameters(),
        trace: ((TraceLevel, String) -> Void)? = nil
    ) -> (result: RunResult, caught: Bool) {
        let f = (QuorumRule(replicaCount) ?? .single).f
        let scenario = Scenario(
            seed: seed, replicaCount: replicaCount, strategy: .equivocate, byzantineCount: f + 1, faults: .none,
            targetCommits: 20, timeLimitMs: 60_000, isCollusionSelfTest: true)
        let result = run(scenario, parameters: parameters, trace: trace)
        let caught = result.violations.contains { $0.property == .agreement || $0.property == .stateDivergence }
        return (result, caught)
    }
}
