/// How important a trace line is.
public enum TraceLevel: Int, Comparable, Sendable {
    /// Faults, view changes, the first commit of each sequence number, violations.
    case compact
    /// Everything: each replica's commits, notes, state transfers, evidence.
    case full

    public static func < (lhs: TraceLevel, rhs: TraceLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
