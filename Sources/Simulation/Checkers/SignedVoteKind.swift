/// The kinds of signed consensus statements the equivocation check compares.
///
/// An honest replica signs at most one digest per (kind, view, sequence number); a second,
/// different one is equivocation.
public enum SignedVoteKind: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// A primary's PRE-PREPARE.
    case prePrepare
    /// A backup's PREPARE.
    case prepare
    /// A COMMIT.
    case commit
    /// A CHECKPOINT (keyed by sequence number only; the view is ignored).
    case checkpoint

    public var description: String {
        switch self {
        case .prePrepare: return "PRE-PREPARE"
        case .prepare: return "PREPARE"
        case .commit: return "COMMIT"
        case .checkpoint: return "CHECKPOINT"
        }
    }
}
