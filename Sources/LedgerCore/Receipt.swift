import LedgerCrypto

/// Why a committed transaction changed nothing. Checked in this order.
public enum FailureReason: Hashable, Sendable, CustomStringConvertible {
    /// The recipient is the sender; self-transfers are refused.
    case selfTransfer
    /// The transaction's nonce is `got` but the sender's next nonce is `expected`
    /// (`expected == UInt64.max` also means the nonce space is used up).
    case badNonce(expected: UInt64, got: UInt64)
    /// The sender has `balance`, less than `amount`.
    case insufficientBalance(balance: UInt64, amount: UInt64)
    /// Crediting `amount` to the recipient's `recipientBalance` would exceed `UInt64.max`.
    case overflow(recipientBalance: UInt64, amount: UInt64)
    /// The sender has no account (it never received anything): its transfer cannot succeed, and
    /// executing it must not create the account or use up a nonce.
    case unknownSender
    /// The amount is 0. `Batch.validate` refuses such a batch, so an honest chain never executes
    /// one; execution still refuses it rather than let it move a nonce.
    case zeroAmount
    /// A validator-set change was refused by the rule numbered `rule`
    /// (`ValidatorSetChangeError.receiptRule`), with the rule's number `detail` (the current
    /// epoch, the pending boundary, `f`, the quorum, the new set's size; 0 when none).
    case changeRefused(rule: UInt64, detail: UInt64)

    /// A sentence explaining the failure to the sender.
    public var description: String {
        switch self {
        case .selfTransfer: return "recipient is the sender; self-transfers are not allowed"
        case let .badNonce(expected, got): return "nonce \(got) is not the sender's next nonce \(expected)"
        case let .insufficientBalance(balance, amount): return "balance \(balance) is less than amount \(amount)"
        case let .overflow(recipientBalance, amount):
            return "recipient balance \(recipientBalance) plus \(amount) would exceed \(UInt64.max)"
        case .unknownSender: return "the sender has no account; it must receive funds before it can send"
        case .zeroAmount: return "amount is 0; a transfer must move at least 1"
        case let .changeRefused(rule, detail): return ValidatorSetChangeError.receiptDescription(rule: rule, detail: detail)
        }
    }

    var tag: UInt8 {
        switch self {
        case .selfTransfer: return 4
        case .badNonce: return 1
        case .insufficientBalance: return 2
        case .overflow: return 3
        case .unknownSender: return 5
        case .zeroAmount: return 6
        case .changeRefused: return 7
        }
    }
}

/// Whether a committed transaction took effect.
public enum ReceiptStatus: Hashable, Sendable {
    /// The transfer was applied.
    case success
    /// Nothing changed (not even the sender's nonce), for `reason`.
    case failed(FailureReason)
}

/// The outcome of the transaction at `index` of a block.
///
/// Wire format: version (1 byte, 0x01), tx hash (32), index (4), status (1: 0 success, 1 failed),
/// then for a failure a reason tag (1: 1 bad nonce, 2 insufficient balance, 3 overflow,
/// 4 self-transfer, 5 unknown sender, 6 zero amount, 7 validator-set change refused) and the
/// reason's two 8-byte numbers (none for self-transfer, unknown sender and zero amount; the rule
/// and its number for a refused change).
public struct Receipt: Hashable, Sendable {
    /// The version byte written first in every receipt.
    public static let version: UInt8 = 1

    /// Bytes of the smallest encoded receipt (a success).
    public static let minimumEncodedSize = 1 + 32 + 4 + 1

    /// The transaction's hash.
    public var txHash: Digest
    /// Its position in the block.
    public var index: UInt32
    /// Success or the failure reason.
    public var status: ReceiptStatus

    /// A receipt with the given fields.
    public init(txHash: Digest, index: UInt32, status: ReceiptStatus) {
        self.txHash = txHash
        self.index = index
        self.status = status
    }

    /// `true` when the transfer was applied.
    public var isSuccess: Bool { status == .success }

    /// Appends the canonical encoding to `writer`.
    public func encode(into w: inout ByteWriter) {
        w.write(Receipt.version)
        w.write(txHash)
        w.write(index)
        switch status {
        case .success:
            w.write(UInt8(0))
        case let .failed(reason):
            w.write(UInt8(1))
            w.write(reason.tag)
            switch reason {
            case .selfTransfer, .unknownSender, .zeroAmount: break
            case let .badNonce(expected, got): w.write(expected); w.write(got)
            case let .insufficientBalance(balance, amount): w.write(balance); w.write(amount)
            case let .overflow(recipientBalance, amount): w.write(recipientBalance); w.write(amount)
            case let .changeRefused(rule, detail): w.write(rule); w.write(detail)
            }
        }
    }

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Limits.receiptMaxBytes)
        encode(into: &w)
        return w.bytes
    }

    /// Decodes exactly one receipt.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Receipt {
        try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in try decode(from: &r) }
    }

    /// Decodes one receipt at the reader's position.
    public static func decode(from r: inout ByteReader, field: @autoclosure () -> String = "receipt") throws(DecodingError) -> Receipt {
        try r.readVersion(version, field())
        let hash = try r.readDigest(field() + ".txHash")
        let index = try r.readUInt32(field() + ".index")
        let statusOffset = r.offset
        let status = try r.readUInt8(field() + ".status")
        switch status {
        case 0:
            return Receipt(txHash: hash, index: index, status: .success)
        case 1:
            let tagOffset = r.offset
            let tag = try r.readUInt8(field() + ".reason")
            let reason: FailureReason
            switch tag {
            case 1: reason = .badNonce(expected: try r.readUInt64(field() + ".reason.expected"), got: try r.readUInt64(field() + ".reason.got"))
            case 2:
                reason = .insufficientBalance(
                    balance: try r.readUInt64(field() + ".reason.balance"), amount: try r.readUInt64(field() + ".reason.amount"))
            case 3:
                reason = .overflow(
                    recipientBalance: try r.readUInt64(field() + ".reason.recipientBalance"),
                    amount: try r.readUInt64(field() + ".reason.amount"))
            case 4: reason = .selfTransfer
            case 5: reason = .unknownSender
            case 6: reason = .zeroAmount
            case 7:
                reason = .changeRefused(rule: try r.readUInt64(field() + ".reason.rule"), detail: try r.readUInt64(field() + ".reason.detail"))
            default: throw .invalidTag(field: field() + ".reason", offset: tagOffset, found: tag, allowed: [1, 2, 3, 4, 5, 6, 7])
            }
            return Receipt(txHash: hash, index: index, status: .failed(reason))
        default:
            throw .invalidTag(field: field() + ".status", offset: statusOffset, found: status, allowed: [0, 1])
        }
    }
}
