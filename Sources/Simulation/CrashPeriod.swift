import LedgerCore

/// A crash of one honest replica, restarted later from its persisted consensus log.
public struct CrashPeriod: Hashable, Sendable, CustomStringConvertible {
    /// Which replica goes down.
    public var replica: ReplicaID
    /// When it stops (its volatile state is lost; its disk survives).
    public var crashAt: VirtualTime
    /// When it starts again from its disk.
    public var restartAt: VirtualTime

    /// Creates a crash period.
    public init(replica: ReplicaID, crashAt: VirtualTime, restartAt: VirtualTime) {
        self.replica = replica
        self.crashAt = crashAt
        self.restartAt = restartAt
    }

    public var description: String { "crash \(replica) \(crashAt.milliseconds)..\(restartAt.milliseconds)ms" }
}
