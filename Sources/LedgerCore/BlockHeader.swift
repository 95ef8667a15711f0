import LedgerCrypto

/// The header of the block at `height`, computed by every replica when it executes the
/// batch committed at sequence number `height`.
///
/// Wire format (big-endian): version (1 byte, 0x01), height (8), previous hash (32),
/// batch digest (32), view (8), proposer (4), timestamp ms (8), tx root (32), state hash (32),
/// tx count (4) — `Limits.blockHeaderBytes` bytes. `hash` is BLAKE2b-256 of that encoding.
public struct BlockHeader: Hashable, Sendable {
    /// The version byte written first in every header.
    public static let version: UInt8 = 1

    /// The block's height (= the PBFT sequence number that ordered it; 0 is genesis).
    public let height: Height
    /// Hash of the block at `height - 1` (for the genesis header: the genesis hash).
    public let previousHash: Digest
    /// Digest of the committed batch.
    public let batchDigest: Digest
    /// The view in which the batch was proposed.
    public let view: View
    /// The validator that proposed the batch.
    public let proposer: ReplicaID
    /// Milliseconds since the Unix epoch: the batch's timestamp (the previous block's for a null batch).
    public let timestamp: UInt64
    /// `Merkle.root` of the transaction hashes in order.
    public let txRoot: Digest
    /// The state hash after this block: `H(previous state hash ‖ H(sorted changed accounts))`.
    public let stateHash: Digest
    /// Number of transactions in the block.
    public let txCount: UInt32
    /// BLAKE2b-256 of the canonical encoding.
    public let hash: Digest

    /// A header with the given fields; computes `hash`. `proposer.index` must be in
    /// `0..<Limits.validatorsMax` (it is encoded in 4 bytes).
    public init(
        height: Height, previousHash: Digest, batchDigest: Digest, view: View, proposer: ReplicaID,
        timestamp: UInt64, txRoot: Digest, stateHash: Digest, txCount: UInt32
    ) {
        self.height = height
        self.previousHash = previousHash
        self.batchDigest = batchDigest
        self.view = view
        self.proposer = proposer
        self.timestamp = timestamp
        self.txRoot = txRoot
        self.stateHash = stateHash
        self.txCount = txCount
        var w = ByteWriter(capacity: Limits.blockHeaderBytes)
        BlockHeader.write(
            height: height, previousHash: previousHash, batchDigest: batchDigest, view: view, proposer: proposer,
            timestamp: timestamp, txRoot: txRoot, stateHash: stateHash, txCount: txCount, into: &w)
        self.hash = Hash.blake2b256(w.bytes)
    }

    private init(
        height: Height, previousHash: Digest, batchDigest: Digest, view: View, proposer: ReplicaID,
        timestamp: UInt64, txRoot: Digest, stateHash: Digest, txCount: UInt32, hash: Digest
    ) {
        self.height = height
        self.previousHash = previousHash
        self.batchDigest = batchDigest
        self.view = view
        self.proposer = proposer
        self.timestamp = timestamp
        self.txRoot = txRoot
        self.stateHash = stateHash
        self.txCount = txCount
        self.hash = hash
    }

    private static func write(
        height: Height, previousHash: Digest, batchDigest: Digest, view: View, proposer: ReplicaID,
        timestamp: UInt64, txRoot: Digest, stateHash: Digest, txCount: UInt32, into w: inout ByteWriter
    ) {
        w.write(version)
        w.write(height.rawValue)
        w.write(previousHash)
        w.write(batchDigest)
        w.write(view.rawValue)
        w.write(UInt32(truncatingIfNeeded: proposer.index))
        w.write(timestamp)
        w.write(txRoot)
        w.write(stateHash)
        w.write(txCount)
    }

    /// Appends the canonical encoding to `writer`.
    public func encode(into w: inout ByteWriter) {
        BlockHeader.write(
            height: height, previousHash: previousHash, batchDigest: batchDigest, view: view, proposer: proposer,
            timestamp: timestamp, txRoot: txRoot, stateHash: stateHash, txCount: txCount, into: &w)
    }

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Limits.blockHeaderBytes)
        encode(into: &w)
        return w.bytes
    }

    /// Decodes exactly one header.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> BlockHeader {
        try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in try decode(from: &r) }
    }

    /// Decodes one header at the reader's position. Refuses a proposer id at or above
    /// `Limits.validatorsMax` and a tx count above `Limits.batchMaxTransactionsHardCap`.
    public static func decode(from r: inout ByteReader, field: @autoclosure () -> String = "header") throws(DecodingError) -> BlockHeader {
        let start = r.offset
        try r.readVersion(version, field())
        let height = Height(try r.readUInt64(field() + ".height"))
        let previousHash = try r.readDigest(field() + ".previousHash")
        let batchDigest = try r.readDigest(field() + ".batchDigest")
        let view = View(try r.readUInt64(field() + ".view"))
        let proposerOffset = r.offset
        let proposer = try r.readUInt32(field() + ".proposer")
        if proposer >= UInt32(Limits.validatorsMax) {
            throw .valueOutOfRange(
                field: field() + ".proposer", offset: proposerOffset, value: UInt64(proposer),
                maximum: UInt64(Limits.validatorsMax - 1))
        }
        let timestamp = try r.readUInt64(field() + ".timestamp")
        let txRoot = try r.readDigest(field() + ".txRoot")
        let stateHash = try r.readDigest(field() + ".stateHash")
        let countOffset = r.offset
        let txCount = try r.readUInt32(field() + ".txCount")
        if txCount > UInt32(Limits.batchMaxTransactionsHardCap) {
            throw .valueOutOfRange(
                field: field() + ".txCount", offset: countOffset, value: UInt64(txCount),
                maximum: UInt64(Limits.batchMaxTransactionsHardCap))
        }
        let whole = UnsafeRawBufferPointer(rebasing: r.buffer[start..<r.offset])
        return BlockHeader(
            height: height, previousHash: previousHash, batchDigest: batchDigest, view: view,
            proposer: ReplicaID(Int(proposer)), timestamp: timestamp, txRoot: txRoot, stateHash: stateHash,
            txCount: txCount, hash: Hash.blake2b256(whole))
    }
}
