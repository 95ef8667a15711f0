import LedgerCore
import LedgerCrypto

/// Portable proof that a validator equivocated: two messages it signed for the same
/// (view, sequence, phase) — or the same checkpoint sequence — with different content.
public struct EquivocationEvidence: Hashable, Sendable {
    /// The first signed statement seen.
    public var first: SignedStatement
    /// The conflicting one.
    public var second: SignedStatement

    /// Evidence from two statements (check it with `verify`).
    public init(first: SignedStatement, second: SignedStatement) {
        self.first = first; self.second = second
    }

    /// The validator that signed both.
    public var offender: ReplicaID { first.signer }

    /// `true` if both statements are of `context`'s epoch with valid signatures, the signer is
    /// the same, the slot is the same and the contents differ: anyone holding the keys of the
    /// epoch's validators can check this.
    public func verify(scheme: any SignatureScheme, context: SigningContext) -> Bool {
        guard first.signer == second.signer, first.slot == second.slot, first != second,
              first.contentDigest != second.contentDigest else { return false }
        return first.isValid(scheme: scheme, context: context) && second.isValid(scheme: scheme, context: context)
    }
}

/// One signed vote, in the form evidence carries.
public enum SignedStatement: Hashable, Sendable {
    /// A signed PRE-PREPARE.
    case prePrepare(Signed<PrePrepare>)
    /// A signed PREPARE.
    case prepare(Signed<Prepare>)
    /// A signed COMMIT.
    case commit(Signed<Commit>)
    /// A signed CHECKPOINT.
    case checkpoint(Signed<Checkpoint>)

    /// Who signed it.
    public var signer: ReplicaID {
        switch self {
        case let .prePrepare(m): m.signer
        case let .prepare(m): m.signer
        case let .commit(m): m.signer
        case let .checkpoint(m): m.signer
        }
    }

    /// The (phase, view, sequence) slot the statement occupies; one honest replica signs one
    /// statement per slot.
    public var slot: Slot {
        switch self {
        case let .prePrepare(m): Slot(phase: .prePrepare, view: m.body.view, sequence: m.body.sequence)
        case let .prepare(m): Slot(phase: .prepare, view: m.body.view, sequence: m.body.sequence)
        case let .commit(m): Slot(phase: .commit, view: m.body.view, sequence: m.body.sequence)
        case let .checkpoint(m): Slot(phase: .checkpoint, view: nil, sequence: m.body.sequence)
        }
    }

    /// The digest the statement votes for (the block hash for a checkpoint).
    public var contentDigest: Digest {
        switch self {
        case let .prePrepare(m): m.body.digest
        case let .prepare(m): m.body.digest
        case let .commit(m): m.body.digest
        case let .checkpoint(m): m.body.blockHash
        }
    }

    /// `true` if the statement is of `context`'s epoch and its signature verifies.
    public func isValid(scheme: any SignatureScheme, context: SigningContext) -> Bool {
        switch self {
        case let .prePrepare(m): m.isValid(scheme: scheme, context: context)
        case let .prepare(m): m.isValid(scheme: scheme, context: context)
        case let .commit(m): m.isValid(scheme: scheme, context: context)
        case let .checkpoint(m): m.isValid(scheme: scheme, context: context)
        }
    }
}

/// A (phase, view, sequence) slot.
public struct Slot: Hashable, Sendable {
    /// The protocol phase.
    public enum Phase: Hashable, Sendable { case prePrepare, prepare, commit, checkpoint }
    /// The phase.
    public var phase: Phase
    /// The view (`nil` for checkpoints, which are view-independent).
    public var view: View?
    /// The sequence number.
    public var sequence: SequenceNumber
}
