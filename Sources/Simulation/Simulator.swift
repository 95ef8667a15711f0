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
        if let problem = scenario.problem ?? parameters.membershipProblem(replicaCount: scenario.replicaCount) {
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

    /// The collusion self-test for `seed`: an equivocating primary and double-voting accomplices,
    /// `QuorumRule.quorumIntersection` Byzantine replicas in all — the fewest two quorums can meet
    /// in alone (f + 1 at n = 3f + 1; 3 = f + 2 at n = 5) — beyond PBFT's assumption, on a calm
    /// network. The safety checker must report an agreement violation; `caught` says whether it did.
    public static func collusionSelfTest(
        seed: UInt64, replicaCount: Int = 4, parameters: SimulationParameters = SimulationParameters(),
        trace: ((TraceLevel, String) -> Void)? = nil
    ) -> (result: RunResult, caught: Bool) {
        let colluders = (QuorumRule(replicaCount) ?? .single).quorumIntersection
        let scenario = Scenario(
            seed: seed, replicaCount: replicaCount, strategy: .equivocate, byzantineCount: colluders, faults: .none,
            targetCommits: 20, timeLimitMs: 60_000, isCollusionSelfTest: true)
        let result = run(scenario, parameters: parameters, trace: trace)
        return (result, isFork(result))
    }

    /// The quorum self-test for `seed`: one equivocating primary (within PBFT's fault bound) on a
    /// calm network of `replicaCount` replicas that use `quorum` instead of `QuorumRule`'s
    /// (`SimulationParameters.quorumOverride`; `nil` for the rule's). With n = 5 and the classic
    /// 2f + 1 = 3, two quorums can meet in the primary alone and it forks the honest replicas; with
    /// the rule's 4 it cannot. `caught` says whether the safety checker reported a fork.
    public static func quorumSelfTest(
        seed: UInt64, replicaCount: Int = 5, quorum: Int?, parameters: SimulationParameters = SimulationParameters(),
        trace: ((TraceLevel, String) -> Void)? = nil
    ) -> (result: RunResult, caught: Bool) {
        var parameters = parameters
        parameters.quorumOverride = quorum
        let scenario = Scenario(
            seed: seed, replicaCount: replicaCount, strategy: .equivocate, byzantineCount: 1, faults: .none,
            targetCommits: 20, timeLimitMs: 60_000)
        let result = run(scenario, parameters: parameters, trace: trace)
        return (result, isFork(result))
    }

    /// The membership self-test for `seed`: an operator's change carries one approval fewer than its epoch's quorum,
    /// and the ledger is told to accept it anyway (`SimulationParameters.changeQuorumOverride`). With the default
    /// `changes` (one add) it is the first change; with several, the last one is the short one (the earlier ones
    /// carry their quorum, which the override does not exceed), so the check is shown to cover every change, not
    /// only the first. The change takes effect, and `caught` says whether the simulator's own check of every applied
    /// change reported it. With the real rule the same change is refused at execution.
    public static func membershipSelfTest(
        seed: UInt64, replicaCount: Int = 4, changes: [MembershipChangeKind] = [.add],
        parameters: SimulationParameters = SimulationParameters(), trace: ((TraceLevel, String) -> Void)? = nil
    ) -> (result: RunResult, caught: Bool) {
        var parameters = parameters
        let short = changes.count - 1
        var size = replicaCount
        for kind in changes.dropLast() { size += kind == .add ? 1 : (kind == .remove ? -1 : 0) }
        let quorum = (QuorumRule(size) ?? .single).quorum
        parameters.addsValidatorAfterBlock = parameters.addsValidatorAfterBlock ?? 10
        parameters.membershipChanges = changes
        parameters.changeAfterBlocks = 4
        parameters.underApprovedChange = short
        if changes.count == 1 { parameters.changeApprovals = quorum - 1 }
        parameters.changeQuorumOverride = quorum - 1
        let scenario = Scenario(seed: seed, replicaCount: replicaCount, faults: .none,
                                targetCommits: 40 + 40 * short, timeLimitMs: 60_000 + 30_000 * UInt64(short))
        let result = run(scenario, parameters: parameters, trace: trace)
        return (result, result.violations.contains {
            $0.property == .validity && $0.detail.contains("validator-set change") && $0.detail.contains("from epoch \(short)'s")
        })
    }

    /// `true` when the safety checker reported honest replicas that committed or executed differently.
    private static func isFork(_ result: RunResult) -> Bool {
        result.violations.contains { $0.property == .agreement || $0.property == .stateDivergence }
    }
}
