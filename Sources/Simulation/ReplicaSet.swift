import LedgerCore

/// A small set of replicas as a bitmask (the simulator supports up to 64 replicas).
///
/// Used on the per-message path (partition checks), where a `Set<ReplicaID>` would hash.
public struct ReplicaSet: Hashable, Sendable, Sequence, CustomStringConvertible {
    /// Bit `i` set means replica `i` is a member.
    public var bits: UInt64

    /// The largest replica count a `ReplicaSet` can describe.
    public static let capacity = 64

    /// The empty set.
    public init() { bits = 0 }

    /// A set from raw bits.
    public init(bits: UInt64) { self.bits = bits }

    /// The set of the given replicas.
    public init<S: Sequence>(_ members: S) where S.Element == ReplicaID {
        bits = 0
        for m in members { insert(m) }
    }

    /// Replicas `0..<count`.
    public static func all(_ count: Int) -> ReplicaSet {
        precondition(count >= 0 && count <= capacity, "replica count out of range")
        return ReplicaSet(bits: count == 64 ? UInt64.max : (UInt64(1) << UInt64(count)) &- 1)
    }

    /// `true` if `replica` is a member.
    @inline(__always)
    public func contains(_ replica: ReplicaID) -> Bool {
        replica.index >= 0 && replica.index < 64 && bits & (UInt64(1) << UInt64(replica.index)) != 0
    }

    /// Adds `replica`.
    public mutating func insert(_ replica: ReplicaID) {
        precondition(replica.index >= 0 && replica.index < 64, "replica index out of range")
        bits |= UInt64(1) << UInt64(replica.index)
    }

    /// Removes `replica`.
    public mutating func remove(_ replica: ReplicaID) {
        guard replica.index >= 0 && replica.index < 64 else { return }
        bits &= ~(UInt64(1) << UInt64(replica.index))
    }

    /// Number of members.
    public var count: Int { bits.nonzeroBitCount }

    /// `true` when there are no members.
    public var isEmpty: Bool { bits == 0 }

    /// Members not in `other`.
    public func subtracting(_ other: ReplicaSet) -> ReplicaSet { ReplicaSet(bits: bits & ~other.bits) }

    /// Members in either set.
    public func union(_ other: ReplicaSet) -> ReplicaSet { ReplicaSet(bits: bits | other.bits) }

    /// Members in ascending order.
    public func makeIterator() -> AnyIterator<ReplicaID> {
        var rest = bits
        return AnyIterator {
            guard rest != 0 else { return nil }
            let i = rest.trailingZeroBitCount
            rest &= rest &- 1
            return ReplicaID(i)
        }
    }

    public var description: String { "{" + map { $0.description }.joined(separator: ",") + "}" }
}
