import LedgerCore
import LedgerCrypto

/// Reading a message's type from its encoding without decoding it.
extension Message {
    /// Whether `bytes` (a `Message.encoded()`) is a COMMITTED-BATCH, judged from the type byte
    /// alone. A node that is fetching those very blocks by state transfer drops them with this
    /// before paying for decoding (a point check per key) and verification (every transaction's
    /// signature); a dropped message is a lost message, which PBFT tolerates.
    public static func isCommittedBatch(encoded bytes: some Collection<UInt8>) -> Bool {
        bytes.first == WireKind.committedBatch.rawValue
    }

    /// Whether `bytes` is a PRE-PREPARE (type byte alone). A node in state transfer drops those
    /// too: their batches would cost every transaction's signature check, while the blocks they
    /// order come by state transfer, or after it by retransmission.
    public static func isPrePrepare(encoded bytes: some Collection<UInt8>) -> Bool {
        bytes.first == WireKind.prePrepare.rawValue
    }
}

/// Which link a message may arrive on.
extension Message {
    /// `true` for the kinds a replica answers by sending to their signer: STATUS (catch-up
    /// batches, NEW-VIEW, VIEW-CHANGE, checkpoint proof), BATCH-FETCH (batches) and VIEW-CHANGE
    /// (the NEW-VIEW of a view already installed). A driver accepts them only from the link of
    /// their signer: replayed by anyone else, a copy would aim the answer at the signer, and a
    /// Byzantine validator could make honest replicas send each other large replies.
    ///
    /// The other kinds legitimately arrive from a replica that did not sign them, or answering
    /// them sends nothing back, so they are accepted from any link (duplicates are no-ops):
    /// - NEW-VIEW: any replica re-sends the NEW-VIEW of its view to a peer that missed it;
    /// - CHECKPOINT: a stable checkpoint's proof (a quorum of checkpoints) goes to a lagging peer;
    /// - COMMITTED-BATCH, FETCHED-BATCH: forwarded batches, bound to a certificate or a digest
    ///   the receiver asked for, with no signer of their own;
    /// - PRE-PREPARE, PREPARE, COMMIT: votes, which a replica records and never answers.
    public var mustArriveFromSigner: Bool {
        switch self {
        case .status, .batchFetch, .viewChange: true
        case .prePrepare, .prepare, .commit, .checkpoint, .newView, .committedBatch, .fetchedBatch: false
        }
    }

    /// Whether this message may be accepted from the link of `sender` (see `mustArriveFromSigner`).
    public func mayArrive(from sender: ReplicaID) -> Bool {
        !mustArriveFromSigner || signer == sender
    }
}
