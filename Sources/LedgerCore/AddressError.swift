/// Why a string is not a valid ledger address (`ldg1…`).
public enum AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The string has `actual` characters; every address has exactly `expected`.
    case wrongLength(expected: Int, actual: Int)
    /// The character at `position` is not allowed in an address.
    case invalidCharacter(position: Int)
    /// Upper- and lowercase letters are mixed; type the address in one case.
    case mixedCase
    /// There is no `1` after the prefix.
    case missingSeparator
    /// The prefix is `found`; ledger addresses start with `expected` followed by `1`.
    case wrongPrefix(expected: String, found: String)
    /// The checksum does not match: the address was mistyped (or is plain bech32, not bech32m).
    case invalidChecksum
    /// The data part does not decode to exactly 32 bytes.
    case invalidPayload
    /// The 32 bytes are not a valid Ed25519 public key, so nobody could ever spend from it.
    case invalidPublicKey

    /// A message saying what is wrong and how to fix it.
    public var description: String {
        switch self {
        case let .wrongLength(expected, actual):
            return "address has \(actual) characters; a ledger address has exactly \(expected)"
        case let .invalidCharacter(position):
            return "address has an invalid character at position \(position)"
        case .mixedCase:
            return "address mixes upper- and lowercase letters; use one case"
        case .missingSeparator:
            return "address is missing the '1' after the prefix"
        case let .wrongPrefix(expected, found):
            return "address prefix is '\(found)'; ledger addresses start with '\(expected)1'"
        case .invalidChecksum:
            return "address checksum does not match; it was probably mistyped"
        case .invalidPayload:
            return "address does not encode exactly 32 bytes"
        case .invalidPublicKey:
            return "address does not encode a valid Ed25519 public key"
        }
    }
}
