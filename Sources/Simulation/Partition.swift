import LedgerCore

/// Which links a partition cuts.
public enum PartitionShape: Hashable, Sendable, CustomStringConvertible {
    /// The replicas split into `side` and the rest; nothing crosses in either direction.
    case halves(side: ReplicaSet)
    /// The primary of the current view (resolved when the partition starts) is cut off.
    case isolatePrimary
    /// One named replica is cut off in both directions.
    case isolate(ReplicaID)
    /// Messages from `from` to `to` are lost; the other direction still works.
    case oneWay(from: ReplicaSet, to: ReplicaSet)

    public var description: String {
        switch self {
        case let .halves(side): return "halves \(side)|rest"
        case .isolatePrimary: return "isolate-primary"
        case let .isolate(r): return "isolate \(r)"
        case let .oneWay(from, to): return "one-way \(from)->\(to)"
        }
    }
}

/// A partition in force during `[start, end)`.
public struct PartitionPeriod: Hashable, Sendable, CustomStringConvertible {
    /// Which links are cut.
    public var shape: PartitionShape
    /// When the links go down.
    public var start: VirtualTime
    /// When they heal (never after GST).
    public var end: VirtualTime

    /// Creates a period.
    public init(shape: PartitionShape, start: VirtualTime, end: VirtualTime) {
        self.shape = shape
        self.start = start
        self.end = end
    }

    public var description: String { "\(shape) \(start.milliseconds)..\(end.milliseconds)ms" }
}

/// A partition resolved to concrete links, active in the network model.
public struct ActivePartition: Hashable, Sendable {
    /// Senders whose messages are cut when going to `to`.
    public var from: ReplicaSet
    /// Receivers cut off from `from`.
    public var to: ReplicaSet
    /// `true` when the cut applies in both directions.
    public var symmetric: Bool

    /// Resolves `shape` for `replicaCount` replicas whose current primary is `primary`.
    public init(_ shape: PartitionShape, replicaCount: Int, primary: ReplicaID) {
        let all = ReplicaSet.all(replicaCount)
        switch shape {
        case let .halves(side):
            from = side
            to = all.subtracting(side)
            symmetric = true
        case .isolatePrimary:
            from = ReplicaSet([primary])
            to = all.subtracting(from)
            symmetric = true
        case let .isolate(r):
            from = ReplicaSet([r])
            to = all.subtracting(from)
            symmetric = true
        case let .oneWay(f, t):
            from = f
            to = t
            symmetric = false
        }
    }

    /// `true` if this partition drops a message from `sender` to `receiver`.
    @inline(__always)
    public func cuts(from sender: ReplicaID, to receiver: ReplicaID) -> Bool {
        if from.contains(sender) && to.contains(receiver) { return true }
        return symmetric && to.contains(sender) && from.contains(receiver)
    }
}
