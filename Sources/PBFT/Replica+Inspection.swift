import LedgerCore
import LedgerCrypto

/// Read-only views of the replica's log for operators ("why is it stuck"). Never changes state.
extension Replica {

    /// Log entries above `lastCommitted` in ascending order, at most `limit`.
    public func openSlots(limit: Int) -> [OpenSlot] {
        let n = configuration.replicaCount
        let open = state.entries.keys.filter { $0 > state.lastCommitted }.sorted().prefix(max(0, limit))
        return open.compactMap { seq -> OpenSlot? in
            guard let e = state.entries[seq] else { return nil }
            var prepares = Set(e.prepares.keys)
            if e.prePrepare != nil { prepares.insert(e.view.primary(replicaCount: n)) }
            return OpenSlot(
                sequence: seq, view: e.view, digest: e.prePrepare?.body.digest,
                preparesFrom: prepares.sorted(), commitsFrom: e.commits.keys.sorted())
        }
    }
}

extension Replica {
    /// The stable checkpoint this replica waits for before it votes again after consensus-log
    /// records were lost (`RecoveredState.votingFence`), or `nil` when it votes.
    public var votingFence: SequenceNumber? { withholdsVotes ? state.votingFence : nil }
}

extension Replica {
    /// The view change this replica abandoned as lone (`Replica+Rejoin.swift`) while it follows
    /// the current view without voting, or `nil` when it votes in its view.
    public var followsUntilView: View? { mayVote(in: state.view) || withholdsVotes ? nil : state.rejoin.abandonedViewChange }
}
