import LedgerCore
import LedgerCrypto

/// Everything the consensus core can reject: malformed bytes, bad signatures, invalid
/// certificates and invalid configuration.
///
/// Peer input that fails a check becomes one of these (counted, never trapped on).
public enum PBFTError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes ended before the message did (`needed` more bytes at `offset`).
    case truncated(offset: Int, needed: Int)
    /// Bytes were left over after a complete message.
    case trailingBytes(count: Int)
    /// The message type byte names no known message.
    case unknownMessageType(UInt8)
    /// The shared decoder refused the bytes for another reason; the text names the field and offset.
    case malformed(String)
    /// A peer-supplied count is larger than the limit for that field.
    case countTooLarge(what: String, count: Int, limit: Int)
    /// An enum tag or flag byte had a value outside its range.
    case invalidTag(what: String, value: UInt8)
    /// The embedded batch bytes did not decode as a batch.
    case malformedBatch
    /// The signer id is not in the validator set `0..<n`.
    case unknownSigner(ReplicaID)
    /// A signature did not verify for the named message.
    case badSignature(what: String, signer: ReplicaID)
    /// The message was signed in a later epoch than the receiver's (`MessageVerifier` checks no
    /// signature of it): the receiver is behind a validator-set change and should catch up.
    case epochAhead(message: UInt64, local: UInt64)
    /// The message was signed in an earlier epoch than the receiver's (no signature checked): the
    /// sender is behind; drop it quietly.
    case epochBehind(message: UInt64, local: UInt64)
    /// A signed part inside a message (or a certificate's entry) belongs to another epoch than
    /// the message (or the certificate) itself.
    case mixedEpochs(what: String, epoch: UInt64, expected: UInt64)
    /// A batch's digest differs from the digest its PRE-PREPARE names.
    case batchDigestMismatch(expected: Digest, actual: Digest)
    /// The batch failed the ledger's validity check (reason from the checker).
    case invalidBatch(reason: String)
    /// A certificate or proof is structurally wrong (too few distinct signers, mixed fields, ...).
    case invalidCertificate(String)
    /// A VIEW-CHANGE or NEW-VIEW is structurally wrong.
    case invalidViewChange(String)
    /// The configuration is unusable; the message says which field and why.
    case invalidConfiguration(String)

    /// The error for a message signed in `message` received in epoch `local` (they differ).
    static func otherEpoch(_ message: UInt64, local: UInt64) -> PBFTError {
        message > local ? .epochAhead(message: message, local: local) : .epochBehind(message: message, local: local)
    }

    /// A message a person can act on.
    public var description: String {
        switch self {
        case let .truncated(offset, needed): "message truncated: needed \(needed) more bytes at offset \(offset)"
        case let .trailingBytes(count): "message has \(count) trailing bytes after its end"
        case let .unknownMessageType(t): "unknown message type \(t)"
        case let .malformed(why): "malformed message: \(why)"
        case let .countTooLarge(what, count, limit): "\(what) count \(count) exceeds the limit \(limit)"
        case let .invalidTag(what, value): "invalid \(what) tag \(value)"
        case .malformedBatch: "embedded batch does not decode"
        case let .unknownSigner(id): "signer \(id) is not a validator"
        case let .badSignature(what, signer): "bad signature on \(what) from \(signer)"
        case let .epochAhead(message, local):
            "message of epoch \(message) while this node is in epoch \(local): the validator set changed; catch up"
        case let .epochBehind(message, local): "message of epoch \(message) while this node is in epoch \(local): the sender is behind"
        case let .mixedEpochs(what, epoch, expected): "\(what) is of epoch \(epoch) inside something of epoch \(expected)"
        case let .batchDigestMismatch(expected, actual): "batch digest \(actual) does not match the pre-prepare's \(expected)"
        case let .invalidBatch(reason): "invalid batch: \(reason)"
        case let .invalidCertificate(why): "invalid certificate: \(why)"
        case let .invalidViewChange(why): "invalid view change: \(why)"
        case let .invalidConfiguration(why): "invalid consensus configuration: \(why)"
        }
    }
}
