import LedgerCore
import LedgerCrypto

/// The view-change messages a replica holds, one owner: `Replica+ViewChange.swift`.
struct ViewChangeState<B: ConsensusBatch>: Sendable {
    /// Each replica's latest VIEW-CHANGE (ours included while we change view).
    var latest: [ReplicaID: Signed<ViewChange>] = [:]
    /// Our VIEW-CHANGE with the batches of its certificates (served to replicas that fetch them).
    var own: (message: Signed<ViewChange>, batches: [B])?
    /// The NEW-VIEW of the current view with the batches of its O set.
    var currentNewView: (message: Signed<NewView>, batches: [B])?
    /// A NEW-VIEW that checked out except for batches we lack; installed once they arrive.
    var pendingNewView: Signed<NewView>?
}

extension ViewChangeState {
    /// The view-change invariants: while changing view our own VIEW-CHANGE asks for the view;
    /// in a view, every VIEW-CHANGE held asks for a later one; the NEW-VIEW held is not from a
    /// later view and a pending one is not from an earlier view.
    func checkInvariants(view: View, isChangingView: Bool, me: ReplicaID, _ report: inout InvariantReport) {
        if isChangingView {
            report.expect(own?.message.body.newView == view, "viewChange.own",
                          "changing to \(view) with our VIEW-CHANGE for \(own.map { "\($0.message.body.newView)" } ?? "none")")
            report.expect(latest[me]?.body.newView == view, "viewChange.ownCounted",
                          "changing to \(view) with our counted VIEW-CHANGE for \(latest[me].map { "\($0.body.newView)" } ?? "none")")
        } else {
            for (signer, vc) in latest where vc.body.newView <= view {
                report.expect(false, "viewChange.latest",
                              "working in \(view) while holding \(signer)'s VIEW-CHANGE for \(vc.body.newView)")
            }
        }
        for (signer, vc) in latest {
            report.expect(vc.signer == signer, "viewChange.signer", "\(vc.signer)'s VIEW-CHANGE is held as \(signer)'s")
        }
        if let nv = currentNewView {
            report.expect(nv.message.body.view <= view, "viewChange.currentNewView",
                          "the NEW-VIEW held is for \(nv.message.body.view), above our view \(view)")
        }
        if let pending = pendingNewView {
            report.expect(pending.body.view >= view, "viewChange.pendingNewView",
                          "a NEW-VIEW for \(pending.body.view) waits for batches below our view \(view)")
        }
    }
}
