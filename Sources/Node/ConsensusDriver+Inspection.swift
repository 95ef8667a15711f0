import LedgerCore
import LedgerCrypto
import PBFT
import RPC

/// Read-only queries for RPC `status`, `tx` and `unconfirmed_txs`. They never change consensus state.
extension ConsensusDriver {
    /// What `status` shows of the replica and mempool.
    public struct Inspection: Sendable {
        /// The current view.
        public var view: View
        /// Its primary.
        public var primary: ReplicaID
        /// Mid view change.
        public var isChangingView: Bool
        /// State transfer running.
        public var isCatchingUp: Bool
        /// Transactions in the mempool.
        public var mempoolSize: Int
        /// Uncommitted log entries with the votes still missing.
        public var openSequences: [OpenSequenceStatus]
        /// The voting fence while votes are withheld after consensus-log records were lost.
        public var votingFence: SequenceNumber?
        /// The view of a lone view change the replica abandoned, while it follows its view without voting.
        public var followsUntilView: View?
        /// Lone view changes abandoned since the node started.
        public var viewChangesAbandoned: Int
    }

    /// The replica's view, mempool size and up to `openLimit` open sequence numbers.
    public func inspect(openLimit: Int = 16) -> Inspection {
        let n = seat.validators.count
        let everyone = (0..<n).map(ReplicaID.init)
        let open = replica.openSlots(limit: openLimit).map { slot in
            OpenSequenceStatus(
                sequence: slot.sequence, view: slot.view, digest: slot.digest, preparesFrom: slot.preparesFrom,
                commitsFrom: slot.commitsFrom,
                missingPrepares: everyone.filter { !slot.preparesFrom.contains($0) },
                missingCommits: everyone.filter { !slot.commitsFrom.contains($0) })
        }
        return Inspection(
            view: replica.view, primary: replica.view.primary(replicaCount: n), isChangingView: replica.isChangingView,
            isCatchingUp: transfer.target != nil, mempoolSize: mempool.count, openSequences: open,
            votingFence: replica.votingFence, followsUntilView: replica.followsUntilView,
            viewChangesAbandoned: replica.viewChangesAbandoned)
    }

    /// The waiting transaction with `hash`, if any. Reads the mempool under its own lock, not the
    /// actor: an RPC read never waits behind the driver's consensus work.
    public nonisolated func pendingTransaction(_ hash: Digest) -> Transaction? { mempool.transaction(hash) }

    /// The total waiting and the `limit` oldest waiting transactions (under the mempool's lock, not the actor).
    public nonisolated func pendingTransactions(limit: Int) -> (total: Int, transactions: [Transaction]) {
        (mempool.count, limit > 0 ? mempool.oldest(limit: limit) : [])
    }
}
