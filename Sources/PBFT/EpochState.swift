import LedgerCore
import LedgerCrypto

/// Where this replica's epoch ends, one owner: `Replica+Epoch.swift`.
struct EpochState: Sendable {
    /// The epoch's last sequence number `a`, once known (`ReplicaConfiguration.lastSequence` or
    /// `Event.epochEnds`).
    var lastSequence: SequenceNumber?
    /// `Action.epochComplete` was emitted: checkpoint `a` is stable.
    var isComplete = false
    /// The highest sequence number of a PRE-PREPARE, PREPARE or COMMIT this replica signed since
    /// it started, its replayed log included (never pruned, unlike `signedSlots`).
    var highestVote: SequenceNumber?

    init(lastSequence: SequenceNumber?) { self.lastSequence = lastSequence }

    /// Records a vote signed at `sequence`.
    mutating func recordVote(at sequence: SequenceNumber) {
        highestVote = max(highestVote ?? sequence, sequence)
    }

    /// The epoch invariants: never a vote above `a`, never a stable checkpoint above it, and the
    /// epoch is complete exactly when checkpoint `a` is stable and block `a` executed.
    func checkInvariants(stableCheckpoint: SequenceNumber, lastExecuted: SequenceNumber, _ report: inout InvariantReport) {
        guard let a = lastSequence else {
            report.expect(!isComplete, "epoch.completeWithoutEnd", "the epoch completed with no last sequence number")
            return
        }
        report.expect(highestVote.map { $0 <= a } ?? true, "epoch.noVoteAbove",
                      "signed a vote at \(highestVote.map { "\($0)" } ?? "-") above the epoch's last sequence \(a)")
        report.expect(stableCheckpoint <= a, "epoch.stableWithin", "stable checkpoint \(stableCheckpoint) is above the epoch's last sequence \(a)")
        report.expect(isComplete == (stableCheckpoint == a && lastExecuted >= a), "epoch.complete",
                      "the epoch is \(isComplete ? "" : "not ")complete with stable checkpoint \(stableCheckpoint), "
                      + "last executed \(lastExecuted) and last sequence \(a)")
    }
}
