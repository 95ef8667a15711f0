import LedgerCore
import PBFT

/// Checks that every replica's own state keeps its invariants (`Replica.checkInvariants()`).
///
/// The simulator asks each replica it fed an event, after that event, in every build: a broken
/// invariant is a bug in the replica, found at the event that caused it rather than when it
/// shows as a fork or a stall. The run stops at the first one.
public struct InvariantChecker: Sendable {
    /// Violations found so far (the first broken check is enough).
    public private(set) var violations: [Violation] = []

    /// A checker with nothing found.
    public init() {}

    /// Records what `replica`'s invariant check found after an event at `time`.
    public mutating func observe(replica: ReplicaID, broken: [InvariantViolation], at time: VirtualTime) {
        guard violations.isEmpty, !broken.isEmpty else { return }
        violations.append(Violation(
            property: .invariant, time: time,
            detail: "\(replica) broke \(broken.count) invariant(s): \(broken.map(\.description).joined(separator: "; "))"))
    }
}
