import LedgerCore
import LedgerCrypto
import PBFT

/// The node's P2P payload: 1 byte kind ‖ body. Keeps consensus, mempool gossip and state transfer apart.
public enum EnvelopeKind: UInt8, Sendable {
    /// A PBFT message (`Message<Batch>.encoded()`).
    case consensus = 1
    /// One signed transaction admitted by the sender's mempool.
    case transaction = 2
    /// A state-transfer request for a range of blocks.
    case blockRequest = 3
    /// A state-transfer response with blocks and their commit certificates.
    case blockResponse = 4
    /// Signed transactions admitted by the sender's mempool (`TransactionGossip`).
    case transactions = 5
    /// One validator-set change admitted by the sender (`ValidatorSetChange.encoded()`).
    case validatorSetChange = 6
}

/// Helpers to wrap and unwrap envelopes.
public enum Envelope {
    /// `kind ‖ body`.
    /// Bytes the envelope adds to a body (the kind byte).
    public static let headerBytes = 1

    public static func wrap(_ kind: EnvelopeKind, _ body: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(body.count + 1)
        out.append(kind.rawValue)
        out.append(contentsOf: body)
        return out
    }

    /// A consensus message in its envelope, encoded straight after the kind byte (no second copy).
    public static func wrap(_ message: LedgerMessage) -> [UInt8] {
        message.encoded(prefix: EnvelopeKind.consensus.rawValue)
    }

    /// The kind and body, or `nil` for an empty payload or unknown kind.
    public static func unwrap(_ bytes: [UInt8]) -> (EnvelopeKind, ArraySlice<UInt8>)? {
        guard let first = bytes.first, let kind = EnvelopeKind(rawValue: first) else { return nil }
        return (kind, bytes.dropFirst())
    }
}

/// "Send me blocks `from ..< from + count`", tagged with an id echoed in the response.
public struct BlockRequest: Sendable, Equatable {
    /// Echoed in the response.
    public var requestID: UInt64
    /// First height wanted.
    public var from: Height
    /// How many (at most `NodeLimits.stateTransferBlocksPerRequest`).
    public var count: UInt32

    /// A request.
    public init(requestID: UInt64, from: Height, count: UInt32) { self.requestID = requestID; self.from = from; self.count = count }

    /// requestID(8) ‖ from(8) ‖ count(4).
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 20)
        w.write(requestID); w.write(from.rawValue); w.write(count)
        return w.bytes
    }

    /// Decodes `encoded()`.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> BlockRequest {
        try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) -> BlockRequest in
            BlockRequest(requestID: try r.readUInt64("request id"), from: Height(try r.readUInt64("from")),
                         count: try r.readUInt32("count"))
        }
    }
}

/// Blocks (as batch + commit certificate, both canonical encodings) starting at `from`, with the
/// donor's stable-checkpoint proof for the highest checkpoint among them when it has one.
public struct BlockResponse: Sendable, Equatable {
    /// The request's id.
    public var requestID: UInt64
    /// Height of the first entry.
    public var from: Height
    /// Consecutive (batch bytes, certificate bytes) from `from` on.
    public var blocks: [(batch: [UInt8], certificate: [UInt8])]
    /// `CheckpointProof.encoded()` for a height among the blocks, or `nil`. Anchors the blocks
    /// up to that height by the hash chain (see `RangeVerifier.verify`).
    public var checkpoint: [UInt8]?

    /// A response.
    public init(requestID: UInt64, from: Height, blocks: [(batch: [UInt8], certificate: [UInt8])], checkpoint: [UInt8]? = nil) {
        self.requestID = requestID; self.from = from; self.blocks = blocks; self.checkpoint = checkpoint
    }

    public static func == (a: BlockResponse, b: BlockResponse) -> Bool {
        a.requestID == b.requestID && a.from == b.from && a.blocks.count == b.blocks.count && a.checkpoint == b.checkpoint
            && zip(a.blocks, b.blocks).allSatisfy { $0.batch == $1.batch && $0.certificate == $1.certificate }
    }

    /// requestID(8) ‖ from(8) ‖ count(4) ‖ per block: len(4) batch ‖ len(4) certificate ‖
    /// len(4) checkpoint proof (0: none) ‖ proof. A response that ends after the blocks has no proof.
    public func encoded() -> [UInt8] {
        var size = 24 + (checkpoint?.count ?? 0)
        for b in blocks { size += 8 + b.batch.count + b.certificate.count }
        var w = ByteWriter(capacity: size)
        w.write(requestID); w.write(from.rawValue); w.write(UInt32(blocks.count))
        for b in blocks {
            w.write(UInt32(b.batch.count)); w.writeRaw(b.batch)
            w.write(UInt32(b.certificate.count)); w.writeRaw(b.certificate)
        }
        w.write(UInt32(checkpoint?.count ?? 0))
        if let checkpoint { w.writeRaw(checkpoint) }
        return w.bytes
    }

    /// Decodes `encoded()`, bounding every length by the input and the limits.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> BlockResponse {
        try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) -> BlockResponse in
            let id = try r.readUInt64("request id")
            let from = Height(try r.readUInt64("from"))
            let count = try r.readLength(width: 4, maximum: NodeLimits.stateTransferBlocksPerRequest, minimumElementBytes: 8, "block count")
            var blocks: [(batch: [UInt8], certificate: [UInt8])] = []
            blocks.reserveCapacity(count)
            for _ in 0..<count {
                let bl = try r.readLength(width: 4, maximum: Limits.batchMaxBytesHardCap, "batch length")
                let batch = Array(try r.readRaw(bl, "batch"))
                let cl = try r.readLength(width: 4, maximum: NodeLimits.stateTransferCertificateMaxBytes, "certificate length")
                let cert = Array(try r.readRaw(cl, "certificate"))
                blocks.append((batch, cert))
            }
            var checkpoint: [UInt8]?
            if r.remaining > 0 {
                let pl = try r.readLength(width: 4, maximum: NodeLimits.stateTransferCertificateMaxBytes, "checkpoint proof length")
                if pl > 0 { checkpoint = Array(try r.readRaw(pl, "checkpoint proof")) }
            }
            return BlockResponse(requestID: id, from: from, blocks: blocks, checkpoint: checkpoint)
        }
    }
}
