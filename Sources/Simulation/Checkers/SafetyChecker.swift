import LedgerCore
import LedgerCrypto

/// Checks the safety properties over the history of honest replicas.
///
/// Fed by the simulator after every commit, execution and signed outgoing message of an
/// honest replica (Byzantine replicas are not checked: they may do anything). Keeps the
/// first violation of each kind and stops recording after `maxViolations`.
public struct SafetyChecker: Sendable {
    private struct VoteKey: Hashable {
        var replica: ReplicaID
        var kind: SignedVoteKind
        var view: View
        var seq: SequenceNumber
    }

    private var committedDigest: [SequenceNumber: (replica: ReplicaID, digest: Digest)] = [:]
    private var blockHash: [Height: (replica: ReplicaID, hash: Digest)] = [:]
    private var signed: [VoteKey: Digest] = [:]
    /// Violations found so far, in the order seen.
    public private(set) var violations: [Violation] = []
    /// Stop recording after this many (a broken run repeats the same fault many times).
    public let maxViolations: Int

    /// A checker with no history.
    public init(maxViolations: Int = 16) { self.maxViolations = maxViolations }

    private mutating func report(_ property: Violation.Property, _ time: VirtualTime, _ detail: String) {
        if violations.count < maxViolations {
            violations.append(Violation(property: property, time: time, detail: detail))
        }
    }

    /// Honest `replica` committed `digest` at `seq`. Agreement: every honest replica commits
    /// the same digest at the same sequence number. Returns `true` when this is the first honest
    /// commit at `seq` (later ones carry the same batch, or a violation was reported).
    @discardableResult
    public mutating func recordCommit(replica: ReplicaID, seq: SequenceNumber, digest: Digest, at time: VirtualTime) -> Bool {
        if let first = committedDigest[seq] {
            if first.digest != digest {
                report(.agreement, time,
                       "\(first.replica) committed \(first.digest.hex.prefix(16))… at \(seq) but \(replica) committed \(digest.hex.prefix(16))…")
            }
            return false
        }
        committedDigest[seq] = (replica, digest)
        return true
    }

    /// Honest `replica` executed the block at `height` and got `hash`. Divergent state means
    /// the executor or the committed batches differ between honest replicas.
    public mutating func recordExecuted(replica: ReplicaID, height: Height, hash: Digest, at time: VirtualTime) {
        if let first = blockHash[height] {
            if first.hash != hash {
                report(.stateDivergence, time,
                       "\(first.replica) has block \(height) = \(first.hash.hex.prefix(16))… but \(replica) has \(hash.hex.prefix(16))…")
            }
        } else {
            blockHash[height] = (replica, hash)
        }
    }

    /// Honest `replica` committed a transaction that fails validation (`reason` says why).
    public mutating func recordInvalidCommittedTransaction(
        replica: ReplicaID, seq: SequenceNumber, transaction: Digest, reason: String, at time: VirtualTime
    ) {
        report(.validity, time, "\(replica) committed invalid transaction \(transaction.hex.prefix(16))… at \(seq): \(reason)")
    }

    /// Honest `replica` signed a `kind` statement for (`view`, `seq`, `digest`). Signing a
    /// different digest for the same (kind, view, seq) later — even after a restart — is
    /// equivocation.
    public mutating func recordSigned(
        replica: ReplicaID, kind: SignedVoteKind, view: View, seq: SequenceNumber, digest: Digest, at time: VirtualTime
    ) {
        let key = VoteKey(replica: replica, kind: kind, view: kind == .checkpoint ? .zero : view, seq: seq)
        if let previous = signed[key] {
            if previous != digest {
                report(.honestEquivocation, time,
                       "honest \(replica) signed \(kind) \(view) \(seq) for \(previous.hex.prefix(16))… and for \(digest.hex.prefix(16))…")
            }
        } else {
            signed[key] = digest
        }
    }

    /// Honest `reporter` holds valid equivocation evidence against honest `offender`: the
    /// offender really signed two conflicting statements (a restart that lost its log, or a bug).
    public mutating func recordEvidenceAgainstHonest(offender: ReplicaID, reporter: ReplicaID, at time: VirtualTime) {
        report(.honestEquivocation, time, "\(reporter) holds valid equivocation evidence against honest \(offender)")
    }

    /// Number of distinct sequence numbers committed by some honest replica.
    public var committedSequenceCount: Int { committedDigest.count }
}
