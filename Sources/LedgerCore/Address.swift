import LedgerCrypto

/// An account's address as users type it: the bech32m (BIP-350) form of its 32-byte
/// Ed25519 public key under the prefix `ldg`, e.g. `ldg1qy…` (62 characters).
///
/// The checksum catches any error in up to 4 characters, so a mistyped address is refused
/// instead of paid. An `Address` always holds a valid public key.
public struct Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The account's public key.
    public let publicKey: PublicKey

    /// The address of `publicKey`.
    public init(publicKey: PublicKey) {
        self.publicKey = publicKey
    }

    /// Parses an address string (all lowercase or all uppercase).
    public init(string: String) throws(AddressError) {
        let length = string.utf8.count
        guard length == Limits.addressStringLength else {
            throw .wrongLength(expected: Limits.addressStringLength, actual: length)
        }
        let decoded: (prefix: String, values: [UInt8])
        do {
            decoded = try Bech32m.decode(string)
        } catch {
            switch error {
            case .tooLong: throw .wrongLength(expected: Limits.addressStringLength, actual: length)
            case let .invalidCharacter(position): throw .invalidCharacter(position: position)
            case .mixedCase: throw .mixedCase
            case .missingSeparator, .emptyPrefix, .dataTooShort: throw .missingSeparator
            case .invalidChecksum: throw .invalidChecksum
            case .invalidPadding: throw .invalidPayload
            }
        }
        guard decoded.prefix == Limits.addressPrefix else {
            throw .wrongPrefix(expected: Limits.addressPrefix, found: decoded.prefix)
        }
        let bytes: [UInt8]
        do {
            bytes = try Bech32m.bytes(fromFiveBitValues: decoded.values)
        } catch {
            throw .invalidPayload
        }
        guard bytes.count == PublicKey.byteCount else { throw .invalidPayload }
        do {
            publicKey = try PublicKey(bytes: bytes)
        } catch {
            throw .invalidPublicKey
        }
    }

    /// The lowercase address string.
    public var string: String {
        publicKey.withUnsafeBytes { raw in
            Bech32m.encode(prefix: Limits.addressPrefix, values: Bech32m.fiveBitValues(fromBytes: raw))
        }
    }

    /// The lowercase address string.
    public var description: String { string }

    /// Orders addresses by their public keys' bytes.
    public static func < (lhs: Address, rhs: Address) -> Bool { lhs.publicKey < rhs.publicKey }
}
