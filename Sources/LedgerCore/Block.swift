import LedgerCrypto

/// A block: its header, the batch's transactions and one receipt per transaction, and the
/// batch's validator-set change (if any) with its receipt.
///
/// Wire format: version (1 byte, 0x01), the header, then `header.txCount` transactions,
/// then `header.txCount` receipts. A block with a change has version 0x02 and then a change
/// count (1 byte, 1), the change and its receipt (index `txCount`, naming the change's hash).
/// Decoding checks that receipt `i` has index `i` and names transaction `i`'s hash.
public struct Block: Hashable, Sendable {
    /// The version byte written first in every block.
    public static let version: UInt8 = 1
    /// The version byte of a block that carries a validator-set change.
    public static let versionWithChange: UInt8 = 2

    /// The header.
    public let header: BlockHeader
    /// The transactions in execution order.
    public let transactions: [Transaction]
    /// One receipt per transaction, in the same order.
    public let receipts: [Receipt]
    /// The batch's validator-set changes (at most `Limits.batchMaxChanges`), executed after the transactions.
    public let changes: [ValidatorSetChange]
    /// One receipt per change, index `txCount + i`.
    public let changeReceipts: [Receipt]

    /// A block from its parts (the caller keeps them consistent; `StateTransition` does).
    public init(
        header: BlockHeader, transactions: [Transaction], receipts: [Receipt], changes: [ValidatorSetChange] = [],
        changeReceipts: [Receipt] = []
    ) {
        self.header = header
        self.transactions = transactions
        self.receipts = receipts
        self.changes = changes
        self.changeReceipts = changeReceipts
    }

    /// The block's hash (its header's hash).
    public var hash: Digest { header.hash }

    /// The block's height.
    public var height: Height { header.height }

    /// `true` when the header's tx count and tx root match the transactions, and every
    /// receipt matches its transaction. Costs one Merkle root.
    public var isConsistent: Bool {
        guard transactions.count == Int(header.txCount), receipts.count == transactions.count,
              changes.count == changeReceipts.count, changes.count <= Limits.batchMaxChanges
        else { return false }
        for (i, (tx, receipt)) in zip(transactions, receipts).enumerated()
        where receipt.txHash != tx.hash || receipt.index != UInt32(truncatingIfNeeded: i) {
            return false
        }
        for (i, (change, receipt)) in zip(changes, changeReceipts).enumerated()
        where receipt.txHash != change.hash || receipt.index != UInt32(truncatingIfNeeded: transactions.count + i) {
            return false
        }
        return Merkle.root(transactions.map(\.hash)) == header.txRoot
    }

    /// Appends the canonical encoding to `writer`.
    public func encode(into w: inout ByteWriter) {
        w.write(changes.isEmpty ? Block.version : Block.versionWithChange)
        header.encode(into: &w)
        for tx in transactions { tx.encode(into: &w) }
        for receipt in receipts { receipt.encode(into: &w) }
        guard !changes.isEmpty else { return }
        w.write(UInt8(truncatingIfNeeded: changes.count))
        for change in changes { change.encode(into: &w) }
        for receipt in changeReceipts { receipt.encode(into: &w) }
    }

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        let size = 1 + Limits.blockHeaderBytes + transactions.reduce(0) { $0 + $1.encodedSize }
            + receipts.count * Limits.receiptMaxBytes + changes.reduce(0) { $0 + 1 + $1.encodedSize + Limits.receiptMaxBytes }
        var w = ByteWriter(capacity: size)
        encode(into: &w)
        return w.bytes
    }

    /// Decodes exactly one block. Input above `Limits.blockMaxBytes` is refused before it is read.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Block {
        if bytes.count > Limits.blockMaxBytes {
            throw .inputTooLarge(what: "block", size: bytes.count, maximum: Limits.blockMaxBytes)
        }
        return try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in try decode(from: &r) }
    }

    /// Decodes one block at the reader's position.
    public static func decode(from r: inout ByteReader, field: @autoclosure () -> String = "block") throws(DecodingError) -> Block {
        let versionOffset = r.offset
        let found = try r.readUInt8(field() + ".version")
        guard found == version || found == versionWithChange else {
            throw .unsupportedVersion(field: field(), offset: versionOffset, found: found, supported: versionWithChange)
        }
        let header = try BlockHeader.decode(from: &r, field: field() + ".header")
        let count = Int(header.txCount)
        let minimum = Limits.transactionMinBytes + Receipt.minimumEncodedSize
        try r.require(count * minimum, field() + ".transactions")
        var transactions: [Transaction] = []
        transactions.reserveCapacity(count)
        for i in 0..<count {
            transactions.append(try Transaction.decode(from: &r, field: field() + ".transactions[\(i)]"))
        }
        var receipts: [Receipt] = []
        receipts.reserveCapacity(count)
        for i in 0..<count {
            let offset = r.offset
            let receipt = try Receipt.decode(from: &r, field: field() + ".receipts[\(i)]")
            if receipt.index != UInt32(i) || receipt.txHash != transactions[i].hash {
                throw .inconsistent(
                    field: field() + ".receipts[\(i)]", offset: offset,
                    reason: "receipt \(i) must have index \(i) and name transaction \(i)'s hash")
            }
            receipts.append(receipt)
        }
        guard found == versionWithChange else { return Block(header: header, transactions: transactions, receipts: receipts) }
        let countOffset = r.offset
        let changeCount = try r.readLength(width: 1, maximum: Limits.batchMaxChanges, field() + ".changes")
        guard changeCount > 0 else {
            throw .inconsistent(field: field() + ".changes", offset: countOffset, reason: "a version-2 block holds a change")
        }
        var changes: [ValidatorSetChange] = []
        for _ in 0..<changeCount { changes.append(try ValidatorSetChange.decode(from: &r)) }
        var changeReceipts: [Receipt] = []
        for (i, change) in changes.enumerated() {
            let offset = r.offset
            let receipt = try Receipt.decode(from: &r, field: field() + ".changeReceipts[\(i)]")
            if receipt.index != UInt32(truncatingIfNeeded: count + i) || receipt.txHash != change.hash {
                throw .inconsistent(
                    field: field() + ".changeReceipts[\(i)]", offset: offset,
                    reason: "change receipt \(i) must have index \(count + i) and name the change's hash")
            }
            changeReceipts.append(receipt)
        }
        return Block(header: header, transactions: transactions, receipts: receipts, changes: changes, changeReceipts: changeReceipts)
    }
}
