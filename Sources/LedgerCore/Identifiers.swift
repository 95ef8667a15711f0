/// Typed identities shared by the ledger model and the consensus core.
///
/// A view, a sequence number and a replica id are all small integers; giving each its own
/// type stops one being passed where another is meant.

/// A validator's index in the genesis validator set (0..<n).
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The index in the validator set.
    public var index: Int

    public init(_ index: Int) { self.index = index }

    public var description: String { "r\(index)" }

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool { lhs.index < rhs.index }
}

/// A PBFT view number. The primary of view `v` is validator `v mod n`.
public struct View: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The raw view number.
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// View 0, where every chain starts.
    public static let zero = View(0)

    public var description: String { "v\(rawValue)" }

    public static func < (lhs: View, rhs: View) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The next view, or `nil` at `UInt64.max` (a peer cannot make us trap by naming it).
    public var next: View? {
        let (r, o) = rawValue.addingReportingOverflow(1)
        return o ? nil : View(r)
    }

    /// The primary of this view in a set of `replicaCount` validators.
    public func primary(replicaCount: Int) -> ReplicaID {
        precondition(replicaCount > 0, "validator set is never empty")
        return ReplicaID(Int(rawValue % UInt64(replicaCount)))
    }
}

/// A PBFT sequence number. The batch committed at sequence number `n` becomes block `n`,
/// so this is also the block height. Sequence number 0 is the genesis state.
public struct SequenceNumber: Hashable, Comparable, Sendable, CustomStringConvertible, Strideable {
    /// The raw number.
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Genesis: nothing executed yet.
    public static let zero = SequenceNumber(0)

    public var description: String { "n\(rawValue)" }

    public static func < (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool { lhs.rawValue < rhs.rawValue }

    public func distance(to other: SequenceNumber) -> Int64 {
        Int64(bitPattern: other.rawValue &- rawValue)
    }

    public func advanced(by n: Int64) -> SequenceNumber {
        SequenceNumber(rawValue &+ UInt64(bitPattern: n))
    }

    /// `self + k`, or `nil` on overflow (peer-chosen numbers must not trap).
    public func adding(_ k: UInt64) -> SequenceNumber? {
        let (r, o) = rawValue.addingReportingOverflow(k)
        return o ? nil : SequenceNumber(r)
    }
}

/// Block height; the same number as the sequence number that ordered the block.
public typealias Height = SequenceNumber
