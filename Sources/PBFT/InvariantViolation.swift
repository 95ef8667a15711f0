import LedgerCore
import LedgerCrypto

/// A broken invariant of a replica's own state: a bug in the replica, never a peer's fault (peer
/// input is validated and rejected before it reaches the state these invariants cover).
public struct InvariantViolation: Hashable, Sendable, CustomStringConvertible {
    /// The invariant's name, e.g. `queue.cursors`.
    public var invariant: String
    /// The values that break it.
    public var detail: String

    /// A violation of `invariant`, with the values that break it.
    public init(invariant: String, detail: String) {
        self.invariant = invariant
        self.detail = detail
    }

    /// `invariant: detail`.
    public var description: String { "\(invariant): \(detail)" }
}

/// Collects the violations of one invariant check. A check costs little while everything holds:
/// the detail of a violation is built only when it is found.
struct InvariantReport {
    var violations: [InvariantViolation] = []

    /// Records a violation of `invariant` unless `holds`.
    mutating func expect(_ holds: Bool, _ invariant: StaticString, _ detail: @autoclosure () -> String) {
        if !holds { violations.append(InvariantViolation(invariant: "\(invariant)", detail: detail())) }
    }
}
