/// Which kinds of faults a run injects, besides its Byzantine strategy.
public enum FaultMix: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// A calm network: no loss, partitions, crashes or drift.
    case none
    /// Hostile network: delay shapes, loss, duplication, reordering; clock drift.
    case network
    /// Hostile network plus partitions that heal at GST.
    case partitions
    /// Hostile network plus crash/restart of honest replicas (with their disk).
    case crashes
    /// Everything above.
    case all
    /// One of the above, drawn from the seed.
    case random

    public var description: String { rawValue }

    /// The concrete mixes (`random` excluded).
    public static let concrete: [FaultMix] = [.none, .network, .partitions, .crashes, .all]
}
