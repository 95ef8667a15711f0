import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import PBFT

/// The replica's consensus log in the ledger database: what it signed and must not forget across
/// a crash. Records are appended durably (one fsynced SQLite transaction) before the sends that
/// follow them; what they supersede is pruned by `ConsensusLogPolicy`, the simulator's rule too.
struct ConsensusLog {
    let store: LedgerStore
    /// The current epoch's set size (records are decoded within it).
    var replicaCount: Int
    let window: UInt64
    var logger: Logger

    /// Reads the log back for the replica's restart on top of `head`.
    ///
    /// Unreadable records: every append is one fsynced SQLite transaction, so a crash cannot leave
    /// half a record; a record that does not decode (or whose stored kind disagrees with its
    /// content) is damage, wherever it is. It may have been a vote this replica signed and sent,
    /// so forgetting it silently could make the replica sign a conflicting one. The rule
    /// (`RecoveredState.votingFence`, the same in the simulator): keep a copy of the database, drop
    /// only the unreadable records, and store a voting fence beside the log; until its stable
    /// checkpoint reaches the fence the replica signs no PRE-PREPARE, PREPARE, COMMIT,
    /// VIEW-CHANGE or NEW-VIEW (it still executes what the others commit and fetches state).
    func recover(head: ChainHead, nowMs: UInt64) throws(NodeError) -> RecoveredState<Batch> {
        let stored: [ConsensusLogRecord]
        do { stored = try store.loadConsensusLog() } catch { throw .store(error, doing: "reading the consensus log") }
        var records: [LedgerLogRecord] = []
        var unreadable: [ConsensusLogRecord] = []
        for r in stored {
            guard let record = try? LedgerLogRecord.decode(r.bytes, replicaCount: replicaCount, window: window),
                  record.storageKind == r.kind else {
                unreadable.append(r)
                continue
            }
            records.append(record)
        }
        if !unreadable.isEmpty { try setAside(unreadable, of: stored, kept: records.count, head: head, nowMs: nowMs) }
        let votingFence: SequenceNumber?
        do { votingFence = try store.votingFence() } catch { throw .store(error, doing: "reading the voting fence") }
        let live = ConsensusLogPolicy.live(records)
        let atGenesis = head.height == .zero
        return RecoveredState<Batch>(
            records: live, lastExecuted: head.height, lastExecutedBlockHash: atGenesis ? .zero : head.hash,
            lastExecutedTimestampMilliseconds: atGenesis ? 0 : head.header.timestamp, votingFence: votingFence)
    }

    /// Drops `unreadable` records after copying the database beside it, and stores the voting fence.
    private func setAside(_ unreadable: [ConsensusLogRecord], of stored: [ConsensusLogRecord], kept: Int,
                          head: ChainHead, nowMs: UInt64) throws(NodeError) {
        let highest = stored.map(\.sequenceNumber).filter { $0 != LedgerLogRecord.viewLevelStorageSequence }.max() ?? .zero
        let fence = RecoveredState<Batch>.votingFence(highestLoggedSequence: highest, lastExecuted: head.height, window: window)
        let directory = (store.path as NSString).deletingLastPathComponent
        let copy = (directory as NSString).appendingPathComponent("consensus-log.damaged-\(nowMs).sqlite")
        let dropped: Int
        do {
            dropped = try store.dropConsensusLogRecords(ids: unreadable.compactMap(\.id), keepingCopyAt: copy, votingFence: fence)
        } catch {
            throw .store(error, doing: "setting aside \(unreadable.count) unreadable consensus-log records of \(store.path)")
        }
        logger.error("consensus log has unreadable records: dropped them and withholding votes until the voting fence", metadata: [
            "file": "\(store.path)", "dropped": "\(dropped)", "kept": "\(kept)", "copy": "\(copy)",
            "voting_fence": "\(fence.rawValue)",
            "records": "\(unreadable.prefix(8).map { "id \($0.id ?? -1) kind \($0.kind) view \($0.view.rawValue) seq \($0.sequenceNumber.rawValue)" })",
        ])
    }

    /// Appends `records` (written in `view`) in one durable transaction. A stable checkpoint
    /// among them prunes what it supersedes and keeps its proof beside the blocks, so this node
    /// can anchor the ranges it serves to catching-up peers (a failure to keep the proof costs
    /// those peers signature checks only).
    func append(_ records: [LedgerLogRecord], view: View) throws(StoreError) {
        let rows = records.map {
            ConsensusLogRecord(view: view, sequenceNumber: $0.storageSequence, kind: $0.storageKind, bytes: $0.encoded())
        }
        _ = try store.appendConsensusLog(rows)
        for case let .stableCheckpoint(proof) in records {
            keepProof(proof)
            let pruned = try store.pruneConsensusLog(below: proof.sequence)
            logger.debug("pruned consensus log", metadata: ["seq": "\(proof.sequence.rawValue)", "rows": "\(pruned)"])
        }
    }

    private func keepProof(_ proof: CheckpointProof) {
        guard proof.sequence > .zero else { return }
        do {
            try store.saveCheckpoint(StoredCheckpoint(
                sequenceNumber: proof.sequence, blockHash: proof.blockHash, proof: proof.encoded()))
        } catch {
            logger.warning("cannot store the stable checkpoint proof", metadata: [
                "seq": "\(proof.sequence.rawValue)", "error": "\(error)",
            ])
        }
    }
}
