import LedgerCore
import LedgerCrypto
import PBFT

/// The replica's timers as sleeping tasks, at most one per kind; a firing reaches the replica only
/// if it is the live one (`TimerGenerations`, the simulator's bookkeeping too).
struct ReplicaTimers {
    private var tasks: [TimerKind: Task<Void, Never>] = [:]
    private var generations = TimerGenerations()

    /// Arms `kind` to call `fire(generation)` after `afterMs` (capped at `NodeLimits.timerDelayMaxMs`),
    /// replacing any armed timer of that kind.
    mutating func set(_ kind: TimerKind, afterMs: UInt64, fire: @escaping @Sendable (UInt64) async -> Void) {
        tasks[kind]?.cancel()
        let generation = generations.arm(kind)
        let delay = min(afterMs, NodeLimits.timerDelayMaxMs)
        tasks[kind] = Task {
            try? await Task.sleep(for: .milliseconds(delay))
            guard !Task.isCancelled else { return }
            await fire(generation)
        }
    }

    /// Disarms `kind`.
    mutating func cancel(_ kind: TimerKind) {
        tasks.removeValue(forKey: kind)?.cancel()
        generations.cancel(kind)
    }

    /// Disarms every timer.
    mutating func cancelAll() {
        for task in tasks.values { task.cancel() }
        tasks.removeAll()
        generations.cancelAll()
    }

    /// Whether the firing of `kind` with `generation` is live; if so the timer is spent.
    mutating func fired(_ kind: TimerKind, generation: UInt64) -> Bool {
        guard generations.fire(kind, generation: generation) else { return false }
        tasks[kind] = nil
        return true
    }
}
