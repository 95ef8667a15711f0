import LedgerCrypto

/// The state of one account: its key, balance and next expected nonce.
///
/// Wire format (big-endian): version (1 byte, 0x01), public key (32), balance (8), nonce (8).
public struct Account: Hashable, Sendable {
    /// The version byte written first in every account encoding.
    public static let version: UInt8 = 1

    /// Bytes of one encoded account.
    public static let encodedSize = 1 + 32 + 8 + 8

    /// The account's key (its address is `Address(publicKey:)`).
    public var publicKey: PublicKey
    /// Spendable balance.
    public var balance: UInt64
    /// The nonce the next transaction from this account must carry (0 for a new account).
    public var nonce: UInt64

    /// An account with the given fields.
    public init(publicKey: PublicKey, balance: UInt64, nonce: UInt64 = 0) {
        self.publicKey = publicKey
        self.balance = balance
        self.nonce = nonce
    }

    /// The account's address.
    public var address: Address { Address(publicKey: publicKey) }

    /// Appends the canonical encoding to `writer`.
    public func encode(into w: inout ByteWriter) {
        w.write(Account.version)
        w.write(publicKey)
        w.write(balance)
        w.write(nonce)
    }

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Account.encodedSize)
        encode(into: &w)
        return w.bytes
    }

    /// Decodes exactly one account.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Account {
        try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in try decode(from: &r) }
    }

    /// Decodes one account at the reader's position.
    public static func decode(from r: inout ByteReader, field: @autoclosure () -> String = "account") throws(DecodingError) -> Account {
        try r.readVersion(version, field())
        let key = try r.readPublicKey(field() + ".publicKey")
        let balance = try r.readUInt64(field() + ".balance")
        let nonce = try r.readUInt64(field() + ".nonce")
        return Account(publicKey: key, balance: balance, nonce: nonce)
    }
}
