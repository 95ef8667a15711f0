/// Why bytes from outside (a peer, a client, the database) could not be decoded.
///
/// Every case names the field being read and the byte offset where reading failed, so a
/// message such as "batch.transactions[3].memo: length 300 at offset 412 exceeds maximum 256"
/// points straight at the bad byte.
public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended at `offset` while `field` needed `needed` more bytes (only `remaining` left).
    case truncated(field: String, offset: Int, needed: Int, remaining: Int)
    /// A complete object was decoded but `count` unread bytes follow it at `offset`.
    case trailingBytes(offset: Int, count: Int)
    /// The version byte of `field` at `offset` is `found`; this software reads only `supported`.
    case unsupportedVersion(field: String, offset: Int, found: UInt8, supported: UInt8)
    /// A length or count prefix of `field` at `offset` is `length`, above the bound `maximum`.
    case lengthTooLarge(field: String, offset: Int, length: Int, maximum: Int)
    /// A one-byte tag or bool of `field` at `offset` is `found`; only the listed values are allowed.
    case invalidTag(field: String, offset: Int, found: UInt8, allowed: [UInt8])
    /// The chain id at `offset` is not 1–64 ASCII characters `[a-z0-9._-]` starting with `[a-z0-9]`.
    case invalidChainID(offset: Int, reason: String)
    /// The 32 bytes of `field` at `offset` are not a valid Ed25519 public key (off-curve,
    /// non-canonical or low-order).
    case invalidPublicKey(field: String, offset: Int)
    /// The text of `field` at `offset` is not valid UTF-8 (or not within its allowed characters).
    case invalidText(field: String, offset: Int)
    /// A number in `field` at `offset` is `value`, outside the allowed range `0...maximum`.
    case valueOutOfRange(field: String, offset: Int, value: UInt64, maximum: UInt64)
    /// The decoded fields of `field` contradict each other (for example a receipt for another
    /// transaction, or a tx count that does not match the header).
    case inconsistent(field: String, offset: Int, reason: String)
    /// The whole input is `size` bytes, more than the `maximum` accepted for `what`.
    case inputTooLarge(what: String, size: Int, maximum: Int)

    /// A message saying what is wrong and how to fix it.
    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, remaining):
            return "\(field): input truncated at offset \(offset): needed \(needed) more bytes, only \(remaining) left"
        case let .trailingBytes(offset, count):
            return "\(count) unexpected trailing bytes at offset \(offset) after a complete object"
        case let .unsupportedVersion(field, offset, found, supported):
            return "\(field): version \(found) at offset \(offset) is not supported (this software reads version \(supported)); upgrade the node or check the sender"
        case let .lengthTooLarge(field, offset, length, maximum):
            return "\(field): length \(length) at offset \(offset) exceeds maximum \(maximum)"
        case let .invalidTag(field, offset, found, allowed):
            return "\(field): byte \(found) at offset \(offset) is not one of the allowed values \(allowed)"
        case let .invalidChainID(offset, reason):
            return "chain id at offset \(offset) is invalid: \(reason)"
        case let .invalidPublicKey(field, offset):
            return "\(field): the 32 bytes at offset \(offset) are not a valid Ed25519 public key (off-curve, non-canonical or low-order)"
        case let .invalidText(field, offset):
            return "\(field): text at offset \(offset) is not valid"
        case let .valueOutOfRange(field, offset, value, maximum):
            return "\(field): value \(value) at offset \(offset) is out of range (maximum \(maximum))"
        case let .inconsistent(field, offset, reason):
            return "\(field) at offset \(offset) is inconsistent: \(reason)"
        case let .inputTooLarge(what, size, maximum):
            return "\(what) is \(size) bytes, more than the maximum \(maximum)"
        }
    }
}
