import LedgerCore
import LedgerCrypto

/// Everything replicas send each other, with the canonical wire encoding.

/// A consensus message between replicas. Each carries signed bodies; batches ride next to the
/// signed parts and are bound to them by digest.
public enum Message<B: ConsensusBatch>: Hashable, Sendable {
    /// PRE-PREPARE with the proposed batch.
    case prePrepare(Signed<PrePrepare>, batch: B)
    /// PREPARE.
    case prepare(Signed<Prepare>)
    /// COMMIT.
    case commit(Signed<Commit>)
    /// CHECKPOINT.
    case checkpoint(Signed<Checkpoint>)
    /// VIEW-CHANGE (its certificates name their batches by digest).
    case viewChange(Signed<ViewChange>)
    /// NEW-VIEW (its pre-prepares name their batches by digest).
    case newView(Signed<NewView>)
    /// STATUS (retransmission and catch-up).
    case status(Signed<Status>)
    /// A committed batch with its commit certificate, sent to a lagging peer.
    case committedBatch(CommitCertificate, batch: B)
    /// BATCH-FETCH: the signer lacks these batches to finish a view change.
    case batchFetch(Signed<BatchFetch>)
    /// A batch sent in answer to a BATCH-FETCH; the receiver takes it only if it asked for its digest.
    case fetchedBatch(B)

    /// The replica that signed the outer message (`nil` for a forwarded committed batch).
    public var signer: ReplicaID? {
        switch self {
        case let .prePrepare(m, _): m.signer
        case let .prepare(m): m.signer
        case let .commit(m): m.signer
        case let .checkpoint(m): m.signer
        case let .viewChange(m): m.signer
        case let .newView(m): m.signer
        case let .status(m): m.signer
        case let .batchFetch(m): m.signer
        case .committedBatch, .fetchedBatch: nil
        }
    }

    /// The epoch the outer message was signed in (a forwarded certificate's: its first commit's; `nil` for a
    /// fetched batch, which carries no signature). The driver routes a message to its epoch's replica by it.
    public var epoch: UInt64? {
        switch self {
        case let .prePrepare(m, _): m.epoch
        case let .prepare(m): m.epoch
        case let .commit(m): m.epoch
        case let .checkpoint(m): m.epoch
        case let .viewChange(m): m.epoch
        case let .newView(m): m.epoch
        case let .status(m): m.epoch
        case let .batchFetch(m): m.epoch
        case let .committedBatch(certificate, _): certificate.commits.first?.epoch
        case .fetchedBatch: nil
        }
    }

    /// A short name for logs and counters ("pre-prepare", "view-change", ...).
    public var kindName: String {
        switch self {
        case .prePrepare: "pre-prepare"
        case .prepare: "prepare"
        case .commit: "commit"
        case .checkpoint: "checkpoint"
        case .viewChange: "view-change"
        case .newView: "new-view"
        case .status: "status"
        case .committedBatch: "committed-batch"
        case .batchFetch: "batch-fetch"
        case .fetchedBatch: "fetched-batch"
        }
    }

    /// The canonical encoding: a type byte, then the signed parts, then the batch if the
    /// message carries one (with a 32-bit length prefix). No message carries more than one.
    public func encoded() -> [UInt8] { encoded(prefix: nil) }

    /// `prefix` (if any) followed by `encoded()`, written into one buffer sized up front: the
    /// node's envelope byte goes in front without copying a batch-sized message a second time.
    public func encoded(prefix: UInt8?) -> [UInt8] {
        // The batch, when a message carries one, is always its last field.
        let batchBytes: [UInt8]? = switch self {
        case let .prePrepare(_, batch), let .committedBatch(_, batch), let .fetchedBatch(batch): batch.encoded()
        default: nil
        }
        var w = ByteWriter(capacity: 320 + (batchBytes?.count ?? 0))
        if let prefix { w.write(prefix) }
        switch self {
        case let .prePrepare(m, _): w.write(WireKind.prePrepare.rawValue); m.encode(into: &w)
        case let .prepare(m): w.write(WireKind.prepare.rawValue); m.encode(into: &w)
        case let .commit(m): w.write(WireKind.commit.rawValue); m.encode(into: &w)
        case let .checkpoint(m): w.write(WireKind.checkpoint.rawValue); m.encode(into: &w)
        case let .viewChange(m): w.write(WireKind.viewChange.rawValue); m.encode(into: &w)
        case let .newView(m): w.write(WireKind.newView.rawValue); m.encode(into: &w)
        case let .status(m): w.write(WireKind.status.rawValue); m.encode(into: &w)
        case let .committedBatch(cert, _): w.write(WireKind.committedBatch.rawValue); cert.encode(into: &w)
        case let .batchFetch(m): w.write(WireKind.batchFetch.rawValue); m.encode(into: &w)
        case .fetchedBatch: w.write(WireKind.fetchedBatch.rawValue)
        }
        if let batchBytes { w.writeBlob(batchBytes) }
        return w.bytes
    }

    /// Decodes one message, rejecting malformed input, trailing bytes and any count above the
    /// bounds for `replicaCount` validators and a watermark window of `window`.
    public static func decode(_ bytes: [UInt8], replicaCount: Int, window: UInt64) throws(PBFTError) -> Message<B> {
        let bounds = DecodingBounds(
            replicaCount: min(max(replicaCount, 0), PBFTLimits.maxReplicaCount),
            window: Int(min(window, PBFTLimits.maxWindow)))
        return try ByteReader.decode(bytes, mappingErrors: { PBFTError($0) }) { (r: inout ByteReader) throws(PBFTError) -> Message<B> in
            try decode(from: &r, bounds: bounds)
        }
    }

    /// Decodes one message at the reader's position (the caller checks for trailing bytes).
    private static func decode(from r: inout ByteReader, bounds: DecodingBounds) throws(PBFTError) -> Message<B> {
        let tag = try r.u8()
        guard let kind = WireKind(rawValue: tag) else { throw .unknownMessageType(tag) }
        let message: Message<B>
        switch kind {
        case .prePrepare:
            let m = try Signed<PrePrepare>.decode(from: &r, bounds: bounds)
            message = .prePrepare(m, batch: try decodeBatch(&r))
        case .prepare: message = .prepare(try Signed<Prepare>.decode(from: &r, bounds: bounds))
        case .commit: message = .commit(try Signed<Commit>.decode(from: &r, bounds: bounds))
        case .checkpoint: message = .checkpoint(try Signed<Checkpoint>.decode(from: &r, bounds: bounds))
        case .viewChange: message = .viewChange(try Signed<ViewChange>.decode(from: &r, bounds: bounds))
        case .newView: message = .newView(try Signed<NewView>.decode(from: &r, bounds: bounds))
        case .status: message = .status(try Signed<Status>.decode(from: &r, bounds: bounds))
        case .committedBatch:
            let c = try CommitCertificate.decode(from: &r, bounds: bounds)
            message = .committedBatch(c, batch: try decodeBatch(&r))
        case .batchFetch: message = .batchFetch(try Signed<BatchFetch>.decode(from: &r, bounds: bounds))
        case .fetchedBatch: message = .fetchedBatch(try decodeBatch(&r))
        }
        return message
    }

    static func encodeBatches(_ batches: [B], into w: inout ByteWriter) {
        let encoded = batches.map { $0.encoded() }
        w.reserveCapacity(w.count + 2 + encoded.reduce(0) { $0 + 4 + $1.count })
        w.write(UInt16(truncatingIfNeeded: batches.count))
        for b in encoded { w.writeBlob(b) }
    }

    static func decodeBatch(_ r: inout ByteReader) throws(PBFTError) -> B {
        let bytes = try r.blob("batch bytes", limit: PBFTLimits.maxBatchEncodedBytes)
        // A slice over the whole fresh array: `Array(_:)` on it takes the buffer back without copying.
        guard let batch = B.decode(bytes[...]) else { throw .malformedBatch }
        return batch
    }

    static func decodeBatches(_ r: inout ByteReader, limit: Int) throws(PBFTError) -> [B] {
        let k = try r.count("attached batches", limit: limit)
        var list: [B] = []
        list.reserveCapacity(k)
        for _ in 0..<k { list.append(try decodeBatch(&r)) }
        return list
    }
}
