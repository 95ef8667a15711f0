import LedgerCore
import LedgerCrypto

/// The bodies of the consensus messages (Castro & Liskov's PRE-PREPARE, PREPARE, COMMIT,
/// CHECKPOINT) plus STATUS for retransmission. VIEW-CHANGE and NEW-VIEW are in `ViewChange.swift`.

/// PRE-PREPARE(v, n, d): the primary of view `v` proposes the batch with digest `d` at `n`.
/// The batch itself travels next to the signed body (`Message.prePrepare`).
public struct PrePrepare: Hashable, Sendable, SignableBody, WireBody {
    /// The view the primary proposes in.
    public var view: View
    /// The proposed sequence number.
    public var sequence: SequenceNumber
    /// The batch digest.
    public var digest: Digest

    /// A pre-prepare for `digest` at (`view`, `sequence`).
    public init(view: View, sequence: SequenceNumber, digest: Digest) {
        self.view = view; self.sequence = sequence; self.digest = digest
    }

    static var kind: WireKind { .prePrepare }
    func encode(into w: inout ByteWriter) { w.write(view); w.write(sequence); w.write(digest) }
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> PrePrepare {
        PrePrepare(view: try r.view(), sequence: try r.seq(), digest: try r.digest())
    }
    /// The bytes a signature on this body covers (domain tag, chain id, epoch, type, fields).
    public func canonicalSigningBytes(_ context: SigningContext) -> [UInt8] { signingBytes(context) }
}

/// PREPARE(v, n, d): a backup accepted the pre-prepare for `d` at (`v`, `n`).
public struct Prepare: Hashable, Sendable, SignableBody, WireBody {
    /// The view.
    public var view: View
    /// The sequence number.
    public var sequence: SequenceNumber
    /// The batch digest.
    public var digest: Digest

    /// A prepare for `digest` at (`view`, `sequence`).
    public init(view: View, sequence: SequenceNumber, digest: Digest) {
        self.view = view; self.sequence = sequence; self.digest = digest
    }

    static var kind: WireKind { .prepare }
    func encode(into w: inout ByteWriter) { w.write(view); w.write(sequence); w.write(digest) }
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Prepare {
        Prepare(view: try r.view(), sequence: try r.seq(), digest: try r.digest())
    }
    /// The bytes a signature on this body covers (domain tag, chain id, epoch, type, fields).
    public func canonicalSigningBytes(_ context: SigningContext) -> [UInt8] { signingBytes(context) }
}

/// COMMIT(v, n, d): the sender has a prepared certificate for `d` at (`v`, `n`).
public struct Commit: Hashable, Sendable, SignableBody, WireBody {
    /// The view.
    public var view: View
    /// The sequence number.
    public var sequence: SequenceNumber
    /// The batch digest.
    public var digest: Digest

    /// A commit for `digest` at (`view`, `sequence`).
    public init(view: View, sequence: SequenceNumber, digest: Digest) {
        self.view = view; self.sequence = sequence; self.digest = digest
    }

    static var kind: WireKind { .commit }
    func encode(into w: inout ByteWriter) { w.write(view); w.write(sequence); w.write(digest) }
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Commit {
        Commit(view: try r.view(), sequence: try r.seq(), digest: try r.digest())
    }
    /// The bytes a signature on this body covers (domain tag, chain id, epoch, type, fields).
    public func canonicalSigningBytes(_ context: SigningContext) -> [UInt8] { signingBytes(context) }
}

/// CHECKPOINT(n, h): the sender executed up to `n` and its block `n` has hash `h`.
public struct Checkpoint: Hashable, Sendable, SignableBody, WireBody {
    /// The checkpoint's sequence number (a multiple of the checkpoint interval).
    public var sequence: SequenceNumber
    /// The hash of block `sequence` (which folds in the state hash).
    public var blockHash: Digest

    /// A checkpoint at `sequence` with `blockHash`.
    public init(sequence: SequenceNumber, blockHash: Digest) {
        self.sequence = sequence; self.blockHash = blockHash
    }

    static var kind: WireKind { .checkpoint }
    func encode(into w: inout ByteWriter) { w.write(sequence); w.write(blockHash) }
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Checkpoint {
        Checkpoint(sequence: try r.seq(), blockHash: try r.digest())
    }
    /// The bytes a signature on this body covers (domain tag, chain id, epoch, type, fields).
    public func canonicalSigningBytes(_ context: SigningContext) -> [UInt8] { signingBytes(context) }
}

/// STATUS: where the sender is. Sent on the retransmission timer; a peer that is ahead answers
/// with what the sender lacks (committed batches with certificates, the NEW-VIEW, checkpoints).
public struct Status: Hashable, Sendable, SignableBody, WireBody {
    /// The sender's current view.
    public var view: View
    /// `true` while the sender is changing to `view` (has no NEW-VIEW for it yet).
    public var isChangingView: Bool
    /// The highest sequence number the sender has executed.
    public var lastExecuted: SequenceNumber
    /// The sender's stable checkpoint (low watermark).
    public var stableCheckpoint: SequenceNumber

    /// A status report.
    public init(view: View, isChangingView: Bool, lastExecuted: SequenceNumber, stableCheckpoint: SequenceNumber) {
        self.view = view; self.isChangingView = isChangingView
        self.lastExecuted = lastExecuted; self.stableCheckpoint = stableCheckpoint
    }

    static var kind: WireKind { .status }
    func encode(into w: inout ByteWriter) { w.write(view); w.write(isChangingView); w.write(lastExecuted); w.write(stableCheckpoint) }
    static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Status {
        Status(view: try r.view(), isChangingView: try r.bool(), lastExecuted: try r.seq(), stableCheckpoint: try r.seq())
    }
    /// The bytes a signature on this body covers (domain tag, chain id, epoch, type, fields).
    public func canonicalSigningBytes(_ context: SigningContext) -> [UInt8] { signingBytes(context) }
}
