import LedgerCore

/// Checks that a replica's consensus state stays bounded.
///
/// After each event the simulator reports each live honest replica's low watermark, its log
/// (number of entries and, when the core exposes it, the lowest sequence number held) and
/// the number of checkpoint sequence numbers it holds votes for. Entries at or below the low
/// watermark must be gone (garbage-collected at the stable checkpoint), the entries must fit
/// the bound derived from the watermark window, and so must the checkpoint votes.
public struct MemoryChecker: Sendable {
    /// The most log entries (distinct sequence numbers) a replica may hold.
    public let maxEntries: Int
    /// Violations found so far (one is enough: later observations would repeat it).
    public private(set) var violations: [Violation] = []

    /// A checker with the given bound.
    public init(maxEntries: Int) { self.maxEntries = maxEntries }

    /// Records one observation of `replica`'s log.
    public mutating func observe(
        replica: ReplicaID, lowWatermark: SequenceNumber, lowestEntry: SequenceNumber?, entryCount: Int,
        checkpointVoteSlots: Int = 0, maxCheckpointVoteSlots: Int = Int.max, at time: VirtualTime
    ) {
        guard violations.isEmpty else { return }
        if let lowest = lowestEntry, lowest <= lowWatermark {
            violations.append(Violation(
                property: .boundedMemory, time: time,
                detail: "\(replica) still holds a log entry at \(lowest), at or below its low watermark \(lowWatermark)"))
        } else if entryCount > maxEntries {
            violations.append(Violation(
                property: .boundedMemory, time: time,
                detail: "\(replica) holds \(entryCount) log entries, more than the bound \(maxEntries) (the window)"))
        } else if checkpointVoteSlots > maxCheckpointVoteSlots {
            violations.append(Violation(
                property: .boundedMemory, time: time,
                detail: "\(replica) holds checkpoint votes for \(checkpointVoteSlots) sequence numbers, more than the bound \(maxCheckpointVoteSlots) (low watermark \(lowWatermark))"))
        }
    }
}
