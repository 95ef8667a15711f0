import LedgerCore
import LedgerCrypto

/// One entry of the consensus log: what this replica signed (so it never signs a conflicting
/// message after a crash) and what it must remember across restarts.
///
/// The driver appends each `.persist(record)` durably before the sends that follow it, and
/// hands all records back in `RecoveredState` on restart. Records whose sequence number is at
/// or below a persisted `.stableCheckpoint` may be pruned (except view-change / new-view records
/// for the latest view).
public enum LogRecord<B: ConsensusBatch>: Hashable, Sendable {
    /// A PRE-PREPARE this replica signed as primary, with its batch.
    case prePrepare(Signed<PrePrepare>, batch: B)
    /// A PREPARE this replica signed.
    case prepare(Signed<Prepare>)
    /// A COMMIT this replica signed.
    case commit(Signed<Commit>)
    /// A CHECKPOINT this replica signed.
    case checkpoint(Signed<Checkpoint>)
    /// A VIEW-CHANGE this replica signed (it has left its old view).
    case viewChange(Signed<ViewChange>, batches: [B])
    /// A NEW-VIEW this replica signed or accepted (it is in that view); batches for the O set.
    case newView(Signed<NewView>, batches: [B])
    /// A checkpoint became stable; everything at or below it may be pruned.
    case stableCheckpoint(CheckpointProof)

    /// The sequence number the record is about (`nil` for view-level records).
    public var sequence: SequenceNumber? {
        switch self {
        case let .prePrepare(m, _): m.body.sequence
        case let .prepare(m): m.body.sequence
        case let .commit(m): m.body.sequence
        case let .checkpoint(m): m.body.sequence
        case let .stableCheckpoint(p): p.sequence
        case .viewChange, .newView: nil
        }
    }

    /// The epoch the record was signed in (`nil` for an epoch's unsigned start checkpoint).
    public var epoch: UInt64? {
        switch self {
        case let .prePrepare(m, _): m.epoch
        case let .prepare(m): m.epoch
        case let .commit(m): m.epoch
        case let .checkpoint(m): m.epoch
        case let .viewChange(m, _): m.epoch
        case let .newView(m, _): m.epoch
        case let .stableCheckpoint(p): p.checkpoints.first?.epoch
        }
    }

    private static var stableCheckpointTag: UInt8 { 100 }

    /// The canonical encoding (what the store keeps).
    public func encoded() -> [UInt8] {
        switch self {
        case let .prePrepare(m, b): return Message<B>.prePrepare(m, batch: b).encoded()
        case let .prepare(m): return Message<B>.prepare(m).encoded()
        case let .commit(m): return Message<B>.commit(m).encoded()
        case let .checkpoint(m): return Message<B>.checkpoint(m).encoded()
        case let .viewChange(m, b):
            // The record keeps the batches of its certificates (the replica serves them to peers
            // that fetch them after a restart); the message itself names them by digest only.
            return Self.encodeWithBatches(m, b)
        case let .newView(m, b): return Self.encodeWithBatches(m, b)
        case let .stableCheckpoint(p):
            var w = ByteWriter(capacity: 128)
            w.write(Self.stableCheckpointTag)
            p.encode(into: &w)
            return w.bytes
        }
    }

    private static func encodeWithBatches<Body: WireBody>(_ m: Signed<Body>, _ batches: [B]) -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        w.write(Body.kind.rawValue); m.encode(into: &w); Message<B>.encodeBatches(batches, into: &w)
        return w.bytes
    }

    /// A view-level record: type byte, signed body, then the batches it keeps.
    private static func decodeWithBatches<Body: WireBody>(
        _ bytes: [UInt8], _: Body.Type, bounds: DecodingBounds
    ) throws(PBFTError) -> (Signed<Body>, [B]) {
        try ByteReader.decode(bytes, mappingErrors: { PBFTError($0) }) { (r: inout ByteReader) throws(PBFTError) -> (Signed<Body>, [B]) in
            _ = try r.u8()
            let m = try Signed<Body>.decode(from: &r, bounds: bounds)
            return (m, try Message<B>.decodeBatches(&r, limit: bounds.window))
        }
    }

    /// Decodes `encoded()` with the same bounds as messages.
    public static func decode(_ bytes: [UInt8], replicaCount: Int, window: UInt64) throws(PBFTError) -> LogRecord<B> {
        if bytes.first == stableCheckpointTag {
            let bounds = DecodingBounds(replicaCount: min(replicaCount, PBFTLimits.maxReplicaCount), window: 0)
            let proof = try ByteReader.decode(bytes, mappingErrors: { PBFTError($0) }) {
                (r: inout ByteReader) throws(PBFTError) -> CheckpointProof in
                _ = try r.u8()
                return try CheckpointProof.decode(from: &r, bounds: bounds)
            }
            return .stableCheckpoint(proof)
        }
        let bounds = DecodingBounds(
            replicaCount: min(max(replicaCount, 0), PBFTLimits.maxReplicaCount),
            window: Int(min(window, PBFTLimits.maxWindow)))
        switch bytes.first {
        case WireKind.viewChange.rawValue?:
            let (m, b) = try decodeWithBatches(bytes, ViewChange.self, bounds: bounds)
            return .viewChange(m, batches: b)
        case WireKind.newView.rawValue?:
            let (m, b) = try decodeWithBatches(bytes, NewView.self, bounds: bounds)
            return .newView(m, batches: b)
        default:
            break
        }
        switch try Message<B>.decode(bytes, replicaCount: replicaCount, window: window) {
        case let .prePrepare(m, b): return .prePrepare(m, batch: b)
        case let .prepare(m): return .prepare(m)
        case let .commit(m): return .commit(m)
        case let .checkpoint(m): return .checkpoint(m)
        case .viewChange: throw .invalidTag(what: "log record", value: WireKind.viewChange.rawValue)  // handled above
        case .newView: throw .invalidTag(what: "log record", value: WireKind.newView.rawValue)  // handled above
        case .status: throw .invalidTag(what: "log record", value: WireKind.status.rawValue)
        case .committedBatch: throw .invalidTag(what: "log record", value: WireKind.committedBatch.rawValue)
        case .batchFetch: throw .invalidTag(what: "log record", value: WireKind.batchFetch.rawValue)
        case .fetchedBatch: throw .invalidTag(what: "log record", value: WireKind.fetchedBatch.rawValue)
        }
    }
}
