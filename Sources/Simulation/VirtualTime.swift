/// A point on the simulator's virtual clock, in milliseconds since the run started.
///
/// Nothing in a run reads the wall clock; time advances only when the event queue pops
/// the next event.
public struct VirtualTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the start of the run.
    public var milliseconds: UInt64

    /// Wraps a millisecond count.
    public init(milliseconds: UInt64) { self.milliseconds = milliseconds }

    /// The start of every run.
    public static let zero = VirtualTime(milliseconds: 0)

    public var description: String { "t=\(milliseconds)ms" }

    public static func < (lhs: VirtualTime, rhs: VirtualTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// `self + durationMs`, saturating at the end of time instead of trapping.
    public func advanced(by durationMs: UInt64) -> VirtualTime {
        let (r, o) = milliseconds.addingReportingOverflow(durationMs)
        return VirtualTime(milliseconds: o ? UInt64.max : r)
    }
}
