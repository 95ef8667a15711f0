import LedgerCore
import LedgerCrypto

/// One piece of equivocation evidence in the `evidence` result: two conflicting signed statements by one validator.
public struct EvidenceInfo: Sendable, Equatable {
    /// The validator that signed both.
    public var offender: ReplicaID
    /// The phase: "pre_prepare", "prepare", "commit" or "checkpoint".
    public var kind: String
    /// The view of the slot (`nil` for checkpoints).
    public var view: View?
    /// The sequence number of the slot.
    public var sequence: SequenceNumber
    /// What the first statement voted for (batch digest, or block hash for a checkpoint).
    public var first: Digest
    /// What the second statement voted for.
    public var second: Digest
    /// The first statement's signature.
    public var firstSignature: Signature
    /// The second statement's signature.
    public var secondSignature: Signature

    /// Evidence from its fields.
    public init(offender: ReplicaID, kind: String, view: View?, sequence: SequenceNumber, first: Digest, second: Digest,
                firstSignature: Signature, secondSignature: Signature) {
        self.offender = offender; self.kind = kind; self.view = view; self.sequence = sequence
        self.first = first; self.second = second; self.firstSignature = firstSignature; self.secondSignature = secondSignature
    }
}
