import LedgerCrypto

/// What PBFT orders at one sequence number: the primary's view and clock reading, the
/// transactions it chose, and at most one validator-set change.
///
/// Wire format (big-endian): version (1 byte, 0x01), view (8), timestamp ms (8),
/// transaction count (4), then each transaction's full signed encoding (transactions are
/// self-delimiting). A batch with a validator-set change has version 0x02 and, after the
/// transactions, a change count (1 byte, 1) and the change's encoding; a batch without one is
/// always written as version 0x01, so every batch has one encoding. `digest` is BLAKE2b-256 of
/// that encoding, computed once.
///
/// A batch keeps its encoding: a PRE-PREPARE is encoded for the wire and again for the consensus
/// log, and a backup persists the batch it decoded, so re-encoding hundreds of transactions each
/// time (and growing fresh buffers for them) cost more than holding the bytes. Equality and
/// hashing go by digest (`DigestIdentity.swift`).
public struct Batch: Hashable, Sendable {
    /// The version byte written first in every batch.
    public static let version: UInt8 = 1
    /// The version byte of a batch that carries a validator-set change.
    public static let versionWithChange: UInt8 = 2

    /// The view in which the primary proposed the batch.
    public let view: View
    /// The primary's clock when it cut the batch, in milliseconds since the Unix epoch.
    public let timestamp: UInt64
    /// The transactions, in execution order.
    public let transactions: [Transaction]
    /// The validator-set changes (at most `Limits.batchMaxChanges`), executed after the transactions.
    public let changes: [ValidatorSetChange]
    /// BLAKE2b-256 of the canonical encoding.
    public let digest: Digest
    /// Size of `encoded()` in bytes.
    public var encodedSize: Int { encodedBytes.count }
    /// The canonical encoding, kept from construction or decoding.
    private let encodedBytes: [UInt8]

    /// Builds a batch and computes its digest.
    public init(view: View, timestamp: UInt64, transactions: [Transaction], changes: [ValidatorSetChange] = []) {
        self.view = view
        self.timestamp = timestamp
        self.transactions = transactions
        self.changes = changes
        var w = ByteWriter(capacity: Batch.encodedSize(of: transactions) + changes.reduce(1) { $0 + $1.encodedSize })
        Batch.write(view: view, timestamp: timestamp, transactions: transactions, changes: changes, into: &w)
        self.encodedBytes = w.bytes
        self.digest = Hash.blake2b256(w.bytes)
    }

    private init(
        view: View, timestamp: UInt64, transactions: [Transaction], changes: [ValidatorSetChange], digest: Digest,
        encodedBytes: [UInt8]
    ) {
        self.view = view
        self.timestamp = timestamp
        self.transactions = transactions
        self.changes = changes
        self.digest = digest
        self.encodedBytes = encodedBytes
    }

    /// PBFT's null request: view 0, timestamp 0, no transactions. A new primary proposes it
    /// for sequence numbers no replica prepared; it executes as an empty block.
    public static let null = Batch(view: .zero, timestamp: 0, transactions: [])

    /// `true` for the null request.
    public var isNull: Bool { view == .zero && timestamp == 0 && transactions.isEmpty && changes.isEmpty }

    private static func encodedSize(of transactions: [Transaction]) -> Int {
        transactions.reduce(Limits.batchHeaderBytes) { $0 + $1.encodedSize }
    }

    private static func write(
        view: View, timestamp: UInt64, transactions: [Transaction], changes: [ValidatorSetChange], into w: inout ByteWriter
    ) {
        w.write(changes.isEmpty ? version : versionWithChange)
        w.write(view.rawValue)
        w.write(timestamp)
        w.write(UInt32(truncatingIfNeeded: transactions.count))
        for tx in transactions { tx.encode(into: &w) }
        guard !changes.isEmpty else { return }
        w.write(UInt8(truncatingIfNeeded: changes.count))
        for change in changes { change.encode(into: &w) }
    }

    /// Every account the batch can touch (senders and recipients), distinct and sorted by key:
    /// what a store must load before running `StateTransition.execute` on it.
    public var accountKeys: [PublicKey] {
        var keys = Set<PublicKey>()
        keys.reserveCapacity(transactions.count * 2)
        for tx in transactions {
            keys.insert(tx.sender)
            keys.insert(tx.recipient.publicKey)
        }
        return keys.sorted()
    }

    /// The canonical encoding (the kept bytes; no copy is made).
    public func encoded() -> [UInt8] { encodedBytes }

    /// Appends the canonical encoding to `writer`.
    public func encode(into writer: inout ByteWriter) {
        writer.writeRaw(encodedBytes)
    }

    /// Decodes exactly one batch; trailing bytes are an error. Input above
    /// `Limits.batchMaxBytesHardCap` is refused before it is read. Keys are validated by
    /// `PublicKey(bytes:)`, which checks each distinct valid key once per process (`ValidatedKeyMemo`).
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Batch {
        if bytes.count > Limits.batchMaxBytesHardCap {
            throw .inputTooLarge(what: "batch", size: bytes.count, maximum: Limits.batchMaxBytesHardCap)
        }
        let parts = try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in
            try decodeParts(from: &r, field: "batch")
        }
        // `ByteReader.decode` refuses trailing bytes, so the batch is all of `bytes`: keep them as they are.
        return Batch(view: parts.view, timestamp: parts.timestamp, transactions: parts.transactions, changes: parts.changes,
                     digest: parts.digest, encodedBytes: bytes)
    }

    /// Decodes one batch at the reader's position; `field` names it in errors.
    public static func decode(
        from r: inout ByteReader, field: @autoclosure () -> String = "batch"
    ) throws(DecodingError) -> Batch {
        let start = r.offset
        let parts = try decodeParts(from: &r, field: field())
        return Batch(view: parts.view, timestamp: parts.timestamp, transactions: parts.transactions, changes: parts.changes,
                     digest: parts.digest, encodedBytes: Array(r.buffer[start..<r.offset]))
    }

    /// The fields of one batch at the reader's position and the digest of its bytes.
    private static func decodeParts(
        from r: inout ByteReader, field: @autoclosure () -> String
    ) throws(DecodingError) -> (
        view: View, timestamp: UInt64, transactions: [Transaction], changes: [ValidatorSetChange], digest: Digest
    ) {
        let start = r.offset
        let versionOffset = r.offset
        let found = try r.readUInt8(field() + ".version")
        guard found == version || found == versionWithChange else {
            throw .unsupportedVersion(field: field(), offset: versionOffset, found: found, supported: versionWithChange)
        }
        let view = View(try r.readUInt64(field() + ".view"))
        let timestamp = try r.readUInt64(field() + ".timestamp")
        let count = try r.readLength(
            width: 4, maximum: Limits.batchMaxTransactionsHardCap, minimumElementBytes: Limits.transactionMinBytes,
            field() + ".transactions")
        var transactions: [Transaction] = []
        transactions.reserveCapacity(count)
        for i in 0..<count {
            transactions.append(try Transaction.decode(from: &r, field: field() + ".transactions[\(i)]"))
        }
        var changes: [ValidatorSetChange] = []
        if found == versionWithChange {
            let countOffset = r.offset
            let changeCount = try r.readLength(width: 1, maximum: Limits.batchMaxChanges, field() + ".changes")
            // Canonical: a batch without a change is written as version 1.
            guard changeCount > 0 else {
                throw .inconsistent(field: field() + ".changes", offset: countOffset, reason: "a version-2 batch holds a change")
            }
            for _ in 0..<changeCount { changes.append(try ValidatorSetChange.decode(from: &r)) }
        }
        let whole = UnsafeRawBufferPointer(rebasing: r.buffer[start..<r.offset])
        return (view, timestamp, transactions, changes, Hash.blake2b256(whole))
    }

    /// Checks what a backup must check before preparing this batch: size within `limits`,
    /// every transaction for `chainID`, no transaction twice, no amount of 0, no two
    /// transactions with one (sender, nonce), every signature valid.
    ///
    /// Only what no honest primary can propose makes a batch invalid: nodes refuse zero amounts
    /// from clients and gossip, and the primary never puts two transactions with one (sender,
    /// nonce) in a batch (a conflicting pair goes into different batches; the later one fails
    /// with `.badNonce`). What depends on the state (unknown sender, balance, nonce order) is
    /// left to execution, which fails such a transaction deterministically at every replica.
    /// The cheap checks run before any signature is checked.
    ///
    /// A validator-set change is checked here only for its count and chain; whether it is
    /// approved depends on the set at its height, so execution decides (`Membership.accepting`)
    /// and refuses a bad one with a receipt, at every replica alike.
    ///
    /// Signatures of transactions for which `isKnownValid(hash)` returns `true` (for example
    /// hashes the node already verified in its mempool) are not checked again. Timestamp
    /// rules (after the previous batch, within clock drift) belong to the consensus layer.
    public func validate(
        chainID: String, limits: BatchLimits, isKnownValid: (Digest) -> Bool = { _ in false },
        didVerify: (Digest) -> Void = { _ in }
    ) throws(BatchError) {
        if transactions.count > limits.maxTransactions {
            throw .tooManyTransactions(count: transactions.count, maximum: limits.maxTransactions)
        }
        if encodedSize > limits.maxBytes {
            throw .tooLarge(bytes: encodedSize, maximum: limits.maxBytes)
        }
        if changes.count > Limits.batchMaxChanges { throw .tooManyChanges(count: changes.count, maximum: Limits.batchMaxChanges) }
        for change in changes where change.chainID != chainID {
            throw .changeWrongChainID(expected: chainID, found: change.chainID)
        }
        var seen: [Digest: Int] = [:]
        seen.reserveCapacity(transactions.count)
        var slots: [SenderNonce: Int] = [:]
        slots.reserveCapacity(transactions.count)
        for (i, tx) in transactions.enumerated() {
            if tx.chainID != chainID {
                throw .wrongChainID(index: i, txHash: tx.hash, expected: chainID, found: tx.chainID)
            }
            if let first = seen.updateValue(i, forKey: tx.hash) {
                throw .duplicateTransaction(index: i, firstIndex: first, txHash: tx.hash)
            }
            if tx.amount == 0 { throw .zeroAmount(index: i, txHash: tx.hash) }
            if let first = slots.updateValue(i, forKey: SenderNonce(sender: tx.sender, nonce: tx.nonce)) {
                throw .duplicateSenderNonce(index: i, firstIndex: first, nonce: tx.nonce, txHash: tx.hash)
            }
        }
        for (i, tx) in transactions.enumerated() where !isKnownValid(tx.hash) {
            if !tx.hasValidSignature { throw .invalidSignature(index: i, txHash: tx.hash) }
            didVerify(tx.hash)
        }
    }
}

/// A sender's nonce: at most one transaction per (sender, nonce) can ever succeed.
struct SenderNonce: Hashable {
    var sender: PublicKey
    var nonce: UInt64
}
