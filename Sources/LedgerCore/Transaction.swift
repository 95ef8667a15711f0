import LedgerCrypto

/// A signed transfer of `amount` from `sender` to `recipient`.
///
/// Wire format (all integers big-endian, see `.notes/wire-format.md`):
///
///     version        1 byte   0x01
///     chain id len   1 byte   1...64
///     chain id       n bytes  ASCII [a-z0-9._-]
///     sender        32 bytes  Ed25519 public key
///     recipient     32 bytes  Ed25519 public key (the address's key)
///     amount         8 bytes
///     nonce          8 bytes
///     memo len       2 bytes  0...256
///     memo           m bytes
///     signature     64 bytes  Ed25519 over `signingBytes()`
///
/// `signingBytes()` is the ASCII domain tag `ledger-tx-v1` and a zero byte, followed by every
/// byte of the encoding above except the signature. No consensus message starts with that
/// tag, so a transaction signature can never be replayed as a vote, or the other way round.
/// `hash` is BLAKE2b-256 of the full signed encoding, computed once.
public struct Transaction: Hashable, Sendable {
    /// The version byte written first in every transaction.
    public static let version: UInt8 = 1

    /// The domain-separation prefix of the signed bytes: ASCII `ledger-tx-v1` then 0x00.
    public static let signingDomainTag: [UInt8] = Array("ledger-tx-v1".utf8) + [0]

    /// The network this transaction is for; a node refuses other chains' transactions.
    public let chainID: String
    /// The paying account; it signs the transaction.
    public let sender: PublicKey
    /// The receiving account.
    public let recipient: Address
    /// Amount transferred, in the ledger's smallest unit.
    public let amount: UInt64
    /// The sender's next nonce; a transaction executes only when this equals the account's nonce.
    public let nonce: UInt64
    /// Free bytes for the payer's reference (0...256 bytes; empty = none).
    public let memo: [UInt8]
    /// Ed25519 signature by `sender` over `signingBytes()`.
    public let signature: Signature
    /// BLAKE2b-256 of the full signed encoding.
    public let hash: Digest

    /// Builds a transaction from its fields (the signature is taken as given, valid or not).
    public init(
        chainID: String, sender: PublicKey, recipient: Address, amount: UInt64, nonce: UInt64,
        memo: [UInt8] = [], signature: Signature
    ) throws(TransactionError) {
        if let reason = ChainID.problem(with: chainID) { throw .invalidChainID(reason: reason) }
        if memo.count > Limits.memoMaxBytes { throw .memoTooLong(count: memo.count, maximum: Limits.memoMaxBytes) }
        var w = ByteWriter(capacity: 148 + chainID.utf8.count + memo.count)
        Transaction.writeUnsigned(
            chainID: chainID, sender: sender, recipient: recipient, amount: amount, nonce: nonce, memo: memo,
            into: &w)
        w.write(signature)
        self.init(
            unchecked: chainID, sender: sender, recipient: recipient, amount: amount, nonce: nonce, memo: memo,
            signature: signature, hash: Hash.blake2b256(w.bytes))
    }

    private init(
        unchecked chainID: String, sender: PublicKey, recipient: Address, amount: UInt64, nonce: UInt64,
        memo: [UInt8], signature: Signature, hash: Digest
    ) {
        self.chainID = chainID
        self.sender = sender
        self.recipient = recipient
        self.amount = amount
        self.nonce = nonce
        self.memo = memo
        self.signature = signature
        self.hash = hash
    }

    /// Builds and signs a transfer with `sender`'s key.
    public static func signed(
        chainID: String, sender: SigningKey, recipient: Address, amount: UInt64, nonce: UInt64,
        memo: [UInt8] = []
    ) throws(TransactionError) -> Transaction {
        let unsigned = try Transaction(
            chainID: chainID, sender: sender.publicKey, recipient: recipient, amount: amount, nonce: nonce,
            memo: memo, signature: .zero)
        let signature = sender.sign(unsigned.signingBytes())
        let encoded = unsigned.encodedBody(signature: signature)
        return Transaction(
            unchecked: chainID, sender: sender.publicKey, recipient: recipient, amount: amount, nonce: nonce,
            memo: memo, signature: signature, hash: Hash.blake2b256(encoded))
    }

    /// Size of `encoded()` in bytes.
    public var encodedSize: Int { 148 + chainID.utf8.count + memo.count }

    /// The bytes the sender signs: `signingDomainTag` then the encoding without the signature.
    public func signingBytes() -> [UInt8] {
        var w = ByteWriter(capacity: Transaction.signingDomainTag.count + encodedSize - Signature.byteCount)
        w.writeRaw(Transaction.signingDomainTag)
        writeUnsigned(into: &w)
        return w.bytes
    }

    /// The canonical signed encoding (what is sent, stored and hashed).
    public func encoded() -> [UInt8] {
        encodedBody(signature: signature)
    }

    /// Appends the canonical signed encoding to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writeUnsigned(into: &writer)
        writer.write(signature)
    }

    private func encodedBody(signature: Signature) -> [UInt8] {
        var w = ByteWriter(capacity: encodedSize)
        writeUnsigned(into: &w)
        w.write(signature)
        return w.bytes
    }

    private func writeUnsigned(into w: inout ByteWriter) {
        Transaction.writeUnsigned(
            chainID: chainID, sender: sender, recipient: recipient, amount: amount, nonce: nonce, memo: memo,
            into: &w)
    }

    private static func writeUnsigned(
        chainID: String, sender: PublicKey, recipient: Address, amount: UInt64, nonce: UInt64, memo: [UInt8],
        into w: inout ByteWriter
    ) {
        w.write(Transaction.version)
        w.writeShortBytes(chainID.utf8)
        w.write(sender)
        w.write(recipient.publicKey)
        w.write(amount)
        w.write(nonce)
        w.writeMediumBytes(memo)
    }

    /// `true` when `signature` is a valid Ed25519 signature by `sender` over `signingBytes()`.
    public var hasValidSignature: Bool {
        sender.isValidSignature(signature, for: signingBytes())
    }

    /// Decodes exactly one transaction; trailing bytes are an error. Its keys are validated by
    /// `PublicKey(bytes:)`, which remembers valid keys process-wide (`ValidatedKeyMemo`).
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Transaction {
        if bytes.count > Limits.transactionMaxBytes {
            throw .inputTooLarge(what: "transaction", size: bytes.count, maximum: Limits.transactionMaxBytes)
        }
        return try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in
            try decode(from: &r)
        }
    }

    /// Decodes one transaction at the reader's position; `field` names it in errors.
    public static func decode(
        from r: inout ByteReader, field: @autoclosure () -> String = "transaction"
    ) throws(DecodingError) -> Transaction {
        let start = r.offset
        try r.readVersion(version, field())
        let chainLengthOffset = r.offset
        let chainLength = try r.readLength(width: 1, maximum: Limits.chainIDMaxBytes, field() + ".chainID")
        let chainBytes = try r.readRaw(chainLength, field() + ".chainID")
        if let reason = ChainID.problem(withBytes: chainBytes) {
            throw .invalidChainID(offset: chainLengthOffset, reason: reason)
        }
        let chainID = String(decoding: chainBytes, as: UTF8.self)
        let sender = try r.readPublicKey(field() + ".sender")
        let recipient = try r.readPublicKey(field() + ".recipient")
        let amount = try r.readUInt64(field() + ".amount")
        let nonce = try r.readUInt64(field() + ".nonce")
        let memoLength = try r.readLength(width: 2, maximum: Limits.memoMaxBytes, field() + ".memo")
        let memo = memoLength == 0 ? [] : Array(try r.readRaw(memoLength, field() + ".memo"))
        let signature = try r.readSignature(field() + ".signature")
        let whole = UnsafeRawBufferPointer(rebasing: r.buffer[start..<r.offset])
        return Transaction(
            unchecked: chainID, sender: sender, recipient: Address(publicKey: recipient), amount: amount,
            nonce: nonce, memo: memo, signature: signature, hash: Hash.blake2b256(whole))
    }
}
