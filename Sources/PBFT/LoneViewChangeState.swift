import LedgerCore
import LedgerCrypto

/// The state of lone view changes, one owner: `Replica+Rejoin.swift`.
struct LoneViewChangeState: Sendable {
    /// The view this replica worked in before its current view change (`nil` when not changing).
    var viewBeforeChange: View?
    /// When this replica sent (or re-sent at a restart) the VIEW-CHANGE of its current view change.
    var viewChangeStartedAtMs: UInt64 = 0
    /// Each peer's latest STATUS and when it arrived (one entry per peer at most).
    var peerStatus: [ReplicaID: PeerStatus] = [:]
    /// The highest view change this replica abandoned: it signs no PRE-PREPARE, PREPARE or COMMIT
    /// in a view below it (its VIEW-CHANGE for it may still be used), until a view at or above it
    /// is installed.
    var abandonedViewChange: View?
}

/// A peer's latest STATUS and when it arrived.
struct PeerStatus: Sendable {
    var status: Status
    var atMs: UInt64
}

extension LoneViewChangeState {
    /// The lone-view-change invariants: the view left is known exactly while changing view, and
    /// an abandoned view change is above the view we follow in (until we change view again).
    func checkInvariants(view: View, isChangingView: Bool, me: ReplicaID, _ report: inout InvariantReport) {
        report.expect((viewBeforeChange != nil) == isChangingView, "rejoin.viewBeforeChange",
                      "\(isChangingView ? "changing to" : "working in") \(view) with the view left "
                      + "\(viewBeforeChange.map { "\($0)" } ?? "unknown")")
        if let abandoned = abandonedViewChange {
            report.expect(isChangingView || abandoned > view, "rejoin.abandoned",
                          "working in \(view) while following until \(abandoned)")
        }
        report.expect(peerStatus[me] == nil, "rejoin.ownStatus", "our own STATUS is held as a peer's")
    }
}
