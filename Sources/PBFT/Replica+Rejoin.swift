import LedgerCore
import LedgerCrypto

/// Abandoning a lone view change.
///
/// A backup cut off from the others for longer than its view-change timeout suspects the primary
/// and sends VIEW-CHANGE for the next view. When the link heals, the others are still working in
/// the old view: one replica's VIEW-CHANGE neither makes them join (that takes f + 1) nor forms
/// a new view (that takes a quorum), and the paper's replica would wait, changing view, until some
/// later view change happened to include it — taking no part in ordering, relaying nothing, and
/// leaving the network one fault closer to its bound for as long as the old view lasts.
///
/// The rule: a replica whose view change has gone unanswered for a whole view-change timeout,
/// and which has since heard STATUS from f + 1 other replicas working (not changing view) in the
/// view it left, returns to that view as a *follower*: it executes what the others commit (a quorum
/// of COMMITs from them makes the certificate), relays held requests to the primary, serves and sends
/// checkpoints, but signs no PRE-PREPARE, PREPARE or COMMIT in any view below the one it asked
/// for (`LoneViewChangeState.abandonedViewChange`), until a view at or above it is installed.
///
/// Why it is safe. Its VIEW-CHANGE for view v' may still be counted in a NEW-VIEW for v', and it
/// reports only what it had prepared when it was signed. Had the replica gone on to prepare a
/// request in the old view afterwards, that request could commit with the replica as the only
/// honest member shared by its prepare quorum and the NEW-VIEW's quorum of VIEW-CHANGEs, and the new
/// primary would not see it. A follower prepares nothing after its VIEW-CHANGE, so every prepare
/// quorum of the old view that includes it was formed before the VIEW-CHANGE was signed (and the
/// VIEW-CHANGE reports it), and every other quorum meets the NEW-VIEW's in at least f + 1
/// replicas (`QuorumRule`) other than it, at least one of them honest, whose VIEW-CHANGE was
/// signed after it left the old view.
/// If the view change becomes real (f + 1 replicas ask for views above the old one, or its own
/// timer fires again) it re-sends the same VIEW-CHANGE (`startViewChange` never signs a second
/// version for one view), and after a restart the logged VIEW-CHANGE puts it back to changing view.
///
/// Why f + 1 and a whole timeout. f + 1 STATUS messages include one from an honest replica, so a
/// faulty replica cannot talk a replica out of a view change; and it goes back only while fewer
/// than a quorum asked for v', so the VIEW-CHANGEs sent so far form no NEW-VIEW (at n = 3f + 1,
/// f + 1 replicas working in the old view alone rule one out; at n = 6 a quorum of 4 leaves out
/// 2, so the count of askers decides). Waiting a timeout first leaves a real view change the time
/// the others' timers need to join it.
extension Replica {
    /// `true` if this replica may sign a PRE-PREPARE, PREPARE or COMMIT in `view`: votes are not
    /// withheld for lost log records (`withholdsVotes`) and `view` is not below a view change it
    /// abandoned.
    func mayVote(in view: View) -> Bool {
        if withholdsVotes { return false }
        if let abandoned = state.rejoin.abandonedViewChange, view < abandoned { return false }
        return true
    }

    /// Records a peer's STATUS and, if we are changing view alone, considers going back.
    mutating func recordStatus(_ m: Signed<Status>, _ ctx: inout Context<B>) {
        state.rejoin.peerStatus[m.signer] = PeerStatus(status: m.body, atMs: ctx.now)
        considerAbandoningViewChange(&ctx)
    }

    /// Returns to the view this replica left, as a follower, when its view change is lone (see
    /// the type's comment for the rule and the argument).
    mutating func considerAbandoningViewChange(_ ctx: inout Context<B>) {
        guard state.isChangingView, let left = state.rejoin.viewBeforeChange, left < state.view,
              primary(of: left) != me, state.viewChange.pendingNewView == nil else { return }
        let started = state.rejoin.viewChangeStartedAtMs
        let (due, overflow) = started.addingReportingOverflow(state.timers.viewChangeTimeoutMs)
        guard !overflow, ctx.now >= due else { return }
        let target = state.view
        let asking = state.viewChange.latest.values.filter { $0.body.newView >= target }.count
        guard asking < quorum else { return }  // a NEW-VIEW can still form; its timer bounds the wait
        let working = state.rejoin.peerStatus.filter {
            $0.key != me && $0.value.atMs >= started && $0.value.status.view == left && !$0.value.status.isChangingView
        }.count
        guard working >= configuration.weakQuorum else { return }

        state.view = left
        state.isChangingView = false
        state.rejoin.viewBeforeChange = nil
        state.rejoin.abandonedViewChange = max(state.rejoin.abandonedViewChange ?? target, target)
        state.viewChange.latest[me] = nil  // our VIEW-CHANGE must not count towards our own join rule
        if state.timers.viewChangeTimerRunning { state.timers.viewChangeTimerRunning = false; ctx.emit(.cancelTimer(.viewChange)) }
        state.counters.viewChangesAbandoned += 1
        ctx.emit(.note(.viewChangeAbandoned(view: target, returnedTo: left, working: working)))
        beginViewPace(&ctx)
        beginViewRelay(&ctx)
        ensureViewChangeTimer(&ctx)
        broadcastStatus(&ctx)  // peers answer with the committed batches we missed
    }
}
