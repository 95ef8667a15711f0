import LedgerCore
import LedgerCrypto

/// Small helpers shared by the protocol files.
extension Replica {
    var me: ReplicaID { configuration.replicaID }
    var n: Int { configuration.replicaCount }
    var f: Int { configuration.f }
    var quorum: Int { configuration.quorum }

    func primary(of view: View) -> ReplicaID { view.primary(replicaCount: n) }

    /// `h < seq <= H`.
    func inWindow(_ seq: SequenceNumber) -> Bool { seq > state.lowWatermark && seq <= highWatermark }

    func sign<Body: SignableBody>(_ body: Body) -> Signed<Body> {
        Signed.make(body, signer: me, using: signer, context: configuration.signingContext)
    }

    /// The entry for `seq`, with its per-view fields reset if they belong to an older view.
    mutating func entry(_ seq: SequenceNumber) -> LogEntry<B> {
        var e = state.entries[seq] ?? LogEntry(view: state.view)
        if e.view < state.view { e.resetForView(state.view) }
        return e
    }

    /// `true` while consensus-log records are lost and the stable checkpoint has not reached the
    /// voting fence: the replica may have signed, in any slot up to the fence, a vote it no longer
    /// remembers, so it signs none (it still executes what others commit, sends CHECKPOINTs of
    /// the state it executed, and serves and fetches state).
    var withholdsVotes: Bool {
        guard let fence = state.votingFence else { return false }
        return state.stableProof.sequence < fence
    }

    /// Records that we sign `digest` in `slot`; `false` (and nothing recorded) if we already
    /// signed a different digest there — the rule that survives restarts — or if we may not vote
    /// in its view (`mayVote(in:)`; CHECKPOINTs attest executed state and are still signed), or
    /// if the slot lies above the epoch's last sequence number (`Replica+Epoch.swift`).
    mutating func claim(_ slot: Slot, _ digest: Digest) -> Bool {
        if slot.phase != .checkpoint && !mayVote(in: slot.view ?? state.view) { return false }
        if slot.phase != .checkpoint && isBeyondEpoch(slot.sequence) { return false }
        if let existing = state.signedSlots[slot] { return existing == digest }
        state.signedSlots[slot] = digest
        if slot.phase != .checkpoint { state.epoch.recordVote(at: slot.sequence) }
        return true
    }

    mutating func reportEquivocation(_ first: SignedStatement, _ second: SignedStatement, _ ctx: inout Context<B>) {
        state.counters.rejected += 1
        let key = EvidenceKey(offender: first.signer, slot: first.slot)
        guard !state.reportedEvidence.contains(key), state.reportedEvidence.count < PBFTLimits.maxEvidenceReports else { return }
        state.reportedEvidence.insert(key)
        state.counters.equivocations += 1
        ctx.emit(.evidence(EquivocationEvidence(first: first, second: second)))
    }

    mutating func drop(_ kind: String, from: ReplicaID?, _ reason: String, _ ctx: inout Context<B>) {
        ctx.emit(.note(.dropped(kind: kind, from: from, reason: reason)))
    }

    mutating func reject(_ kind: String, from: ReplicaID?, _ reason: String, _ ctx: inout Context<B>) {
        state.counters.rejected += 1
        ctx.emit(.note(.rejected(kind: kind, from: from, reason: reason)))
    }

    /// `true` while this replica waits for work to execute: pending requests (while the epoch
    /// has slots for them), or accepted pre-prepares not yet committed.
    var isWaiting: Bool {
        if !state.queue.pending.isEmpty && !epochIsFull { return true }
        return state.entries.contains { $0.key > state.lastCommitted && $0.value.prePrepare != nil && $0.value.certificate == nil }
    }

    /// Starts the view-change timer if this backup is waiting and the timer is not running.
    mutating func ensureViewChangeTimer(_ ctx: inout Context<B>) {
        guard !state.isChangingView, !isPrimary, !state.timers.viewChangeTimerRunning, isWaiting else { return }
        state.timers.viewChangeTimerRunning = true
        state.timers.watchedRequest = oldestPendingRequest
        ctx.emit(.setTimer(.viewChange, afterMilliseconds: state.timers.viewChangeTimeoutMs))
    }

    /// The request at the head of the FIFO.
    var oldestPendingRequest: Digest? {
        var i = state.queue.head
        while i < state.queue.order.count {
            if state.queue.pending[state.queue.order[i]] != nil { return state.queue.order[i] }
            i += 1
        }
        return nil
    }

    /// After progress: restart the timer if still waiting, else stop it. As in the paper, the
    /// timer keeps running while the request it waits for is still pending, so a primary that
    /// orders other requests but censors that one is still replaced.
    mutating func restartViewChangeTimer(_ ctx: inout Context<B>) {
        guard !state.isChangingView else { return }
        if state.timers.viewChangeTimerRunning, let watched = state.timers.watchedRequest, state.queue.pending[watched] != nil { return }
        if state.timers.viewChangeTimerRunning {
            state.timers.viewChangeTimerRunning = false
            ctx.emit(.cancelTimer(.viewChange))
        }
        ensureViewChangeTimer(&ctx)
    }

    /// The timestamp floor for a batch at `seq`: the newest batch accepted below it, or the
    /// last committed one.
    func timestampFloor(below seq: SequenceNumber) -> UInt64 {
        var floor = state.lastCommittedTimestampMs
        for (k, e) in state.entries where k < seq {
            if let b = e.batch, !b.isNull, e.prePrepare != nil { floor = max(floor, b.timestampMilliseconds) }
            if let b = e.committedBatch, !b.isNull { floor = max(floor, b.timestampMilliseconds) }
        }
        return floor
    }
}

extension LogEntry {
    mutating func resetForView(_ v: View) {
        view = v
        prePrepare = nil
        batch = nil
        prepares = [:]
        commits = [:]
        sentPrepare = false
        sentCommit = false
    }
}

extension Replica {
    /// Compares votes embedded in a certificate from a peer with the ones we received directly
    /// for the same (view, seq, signer); a difference is equivocation evidence. This is how an
    /// equivocating primary or a double-voting replica is caught even though each honest
    /// replica only saw one of its two messages.
    mutating func crossCheck(_ certificate: PreparedCertificate, _ ctx: inout Context<B>) {
        guard let e = state.entries[certificate.sequence] else { return }
        for mine in [e.prePrepare, e.prepared?.prePrepare].compactMap({ $0 })
        where mine.body.view == certificate.view && mine.body.digest != certificate.digest && mine.signer == certificate.prePrepare.signer {
            reportEquivocation(.prePrepare(mine), .prePrepare(certificate.prePrepare), &ctx)
        }
        guard e.view == certificate.view else { return }
        for p in certificate.prepares {
            if let mine = e.prepares[p.signer], mine.body.digest != p.body.digest {
                reportEquivocation(.prepare(mine), .prepare(p), &ctx)
            }
        }
    }

    /// The same check for the commits of a forwarded commit certificate.
    mutating func crossCheck(_ certificate: CommitCertificate, _ ctx: inout Context<B>) {
        guard let e = state.entries[certificate.sequence], e.view == certificate.view else { return }
        for c in certificate.commits {
            if let mine = e.commits[c.signer], mine.body.digest != c.body.digest {
                reportEquivocation(.commit(mine), .commit(c), &ctx)
            }
        }
    }
}
