import LedgerCore

/// A property a checker found broken in a run.
public struct Violation: Hashable, Sendable, CustomStringConvertible {
    /// The properties the checkers enforce.
    public enum Property: String, Hashable, Sendable, CaseIterable {
        /// Two honest replicas committed different digests at the same sequence number.
        case agreement
        /// Two honest replicas computed different block hashes at the same height.
        case stateDivergence = "state-divergence"
        /// A committed transaction had a bad signature or the wrong chain id.
        case validity
        /// An honest replica signed two conflicting messages for the same (view, seq).
        case honestEquivocation = "honest-equivocation"
        /// A transaction submitted to honest replicas was not committed within the bound after GST.
        case liveness
        /// A replica's log kept entries at or below its low watermark, or grew past its bound.
        case boundedMemory = "bounded-memory"
        /// A replica broke the documented driver contract (commit gap, invalid certificate,
        /// an honest message that fails verification, evidence that does not verify).
        case contract
        /// A replica's own state broke one of its invariants (`Replica.checkInvariants()`).
        case invariant
        /// The simulator itself could not continue (event budget exhausted, broken invariant).
        case simulator
    }

    /// Which property broke.
    public var property: Property
    /// Virtual time at which the checker saw it.
    public var time: VirtualTime
    /// What exactly happened, with replicas, sequence numbers and digests.
    public var detail: String

    /// Creates a violation.
    public init(property: Property, time: VirtualTime, detail: String) {
        self.property = property
        self.time = time
        self.detail = detail
    }

    public var description: String { "\(property.rawValue) violated at \(time): \(detail)" }
}
