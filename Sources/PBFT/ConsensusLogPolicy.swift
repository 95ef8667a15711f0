import LedgerCore
import LedgerCrypto

/// What the consensus log keeps, and how its records are stored: one rule for the node's SQLite
/// log and the simulator's in-memory disk.
///
/// A record is **superseded** by a later one when recovery no longer needs it: a VIEW-CHANGE by a
/// later VIEW-CHANGE, a NEW-VIEW by a later NEW-VIEW (recovery rebuilds from the latest of each),
/// and any record about a sequence number below a later stable checkpoint (the checkpoint proof
/// stands for everything under it; records *at* the checkpoint stay, as the node's store prunes
/// strictly below). Older stable checkpoints are records below the newer one.
public enum ConsensusLogPolicy {
    /// Whether appending `new` makes `old` (appended earlier) unnecessary for recovery.
    public static func supersedes<B>(_ new: LogRecord<B>, _ old: LogRecord<B>) -> Bool {
        switch (new, old) {
        case let (.stableCheckpoint(proof), _): (old.sequence.map { $0 < proof.sequence }) ?? false
        case (.viewChange, .viewChange), (.newView, .newView): true
        default: false
        }
    }

    /// Appends `record` to an in-memory log, dropping what it supersedes.
    public static func append<B>(_ record: LogRecord<B>, to log: inout [LogRecord<B>]) {
        log.removeAll { supersedes(record, $0) }
        log.append(record)
    }

    /// The records of `log` (in append order) that no later record supersedes: what recovery is
    /// given when the store kept more (it prunes by sequence only).
    public static func live<B>(_ log: [LogRecord<B>]) -> [LogRecord<B>] {
        var keep = [Bool](repeating: true, count: log.count)
        var laterViewChange = false, laterNewView = false
        var laterStable: SequenceNumber?
        for i in log.indices.reversed() {
            let r = log[i]
            switch r {
            case .viewChange:
                if laterViewChange { keep[i] = false }
                laterViewChange = true
            case .newView:
                if laterNewView { keep[i] = false }
                laterNewView = true
            default:
                if let stable = laterStable, let s = r.sequence, s < stable { keep[i] = false }
            }
            if case let .stableCheckpoint(p) = r { laterStable = max(laterStable ?? p.sequence, p.sequence) }
        }
        return log.indices.filter { keep[$0] }.map { log[$0] }
    }
}

extension LogRecord {
    /// The store's kind byte for this record (`ConsensusLogRecord.kind`): 1 PRE-PREPARE,
    /// 2 PREPARE, 3 COMMIT, 4 CHECKPOINT, 5 VIEW-CHANGE, 6 NEW-VIEW, 7 stable checkpoint. A
    /// stored record whose decoded kind differs from its stored kind is damage.
    public var storageKind: UInt8 {
        switch self {
        case .prePrepare: 1
        case .prepare: 2
        case .commit: 3
        case .checkpoint: 4
        case .viewChange: 5
        case .newView: 6
        case .stableCheckpoint: 7
        }
    }

    /// The sequence number the store files this record under: its own, or
    /// `LogRecord.viewLevelStorageSequence` for view-level records, which pruning by sequence never
    /// removes (`ConsensusLogPolicy.live` drops the superseded ones on recovery).
    public var storageSequence: SequenceNumber { sequence ?? Self.viewLevelStorageSequence }

    /// Where view-level records (VIEW-CHANGE, NEW-VIEW) are filed: above every real sequence number.
    public static var viewLevelStorageSequence: SequenceNumber { SequenceNumber(.max) }
}
