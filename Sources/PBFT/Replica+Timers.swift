import LedgerCore
import LedgerCrypto

/// Timers, retransmission and STATUS-driven catch-up (start and restart: `Replica+Recovery.swift`).
extension Replica {
    mutating func timerFired(_ kind: TimerKind, _ ctx: inout Context<B>) {
        switch kind {
        case .batch:
            guard state.timers.batchTimerRunning else { return }
            state.timers.batchTimerRunning = false
            tryPropose(&ctx)
        case .viewChange:
            guard state.timers.viewChangeTimerRunning else { return }
            state.timers.viewChangeTimerRunning = false
            guard let next = state.view.next else { return }
            if state.isChangingView {
                // The NEW-VIEW did not arrive in time: try the next view with a doubled timeout.
                let doubled = state.timers.viewChangeTimeoutMs.multipliedReportingOverflow(by: 2)
                state.timers.viewChangeTimeoutMs = doubled.overflow ? configuration.maxViewChangeTimeoutMs
                    : min(doubled.partialValue, configuration.maxViewChangeTimeoutMs)
                startViewChange(to: next, reason: "no new-view for \(state.view) within the timeout", &ctx)
            } else if state.stateTransferTarget != nil {
                // We are the ones behind: wait for the state transfer rather than blame the primary.
                ensureViewChangeTimer(&ctx)
            } else if isWaiting && !isPrimary {
                startViewChange(to: next, reason: "pending work did not execute within \(state.timers.viewChangeTimeoutMs) ms", &ctx)
            }
        case .pace:
            paceTimerFired(&ctx)
        case .relay:
            relayTimerFired(&ctx)
        case .retransmit:
            state.timers.retransmitTimerRunning = true
            ctx.emit(.setTimer(.retransmit, afterMilliseconds: configuration.retransmitIntervalMs))
            retransmit(&ctx)
        }
    }

    /// Periodic retransmission: STATUS, fetches of batches still wanted, our messages for open
    /// sequence numbers, our latest checkpoint, our pending VIEW-CHANGE; and state transfer if
    /// we are stuck behind.
    mutating func retransmit(_ ctx: inout Context<B>) {
        broadcastStatus(&ctx)
        refetchWantedBatches(&ctx)
        if state.isChangingView {
            if let own = state.viewChange.own, own.message.body.newView == state.view {
                ctx.emit(.broadcast(.viewChange(own.message)))
            }
        } else {
            retransmitOpenEntries(&ctx)
        }
        if let latest = state.ownCheckpoints.keys.max(), let c = state.ownCheckpoints[latest] {
            ctx.emit(.broadcast(.checkpoint(c)))
        }
        if state.lastCommitted == state.lastCommittedAtPreviousTick {
            if let pending = state.stateTransferRequest {
                ctx.emit(.requestStateTransfer(pending))  // still stuck: ask again (the driver ignores duplicates)
            } else {
                considerStateTransfer(force: true, &ctx)
            }
        }
        state.lastCommittedAtPreviousTick = state.lastCommitted
    }

    /// Re-sends our messages for the current view's open sequence numbers, to the replicas that
    /// may still lack them. Links are reliable while connected, so a message is re-sent only once
    /// it is a full interval old (a reconnect or a partition lost it). A PRE-PREPARE goes only to
    /// backups that have neither prepared nor committed the sequence number, a PREPARE only to
    /// replicas whose COMMIT we lack (a replica that committed has prepared): re-sending every
    /// open batch to everyone each tick made a loaded system, whose commits lag a tick, carry and
    /// decode each batch several times over.
    mutating func retransmitOpenEntries(_ ctx: inout Context<B>) {
        let (due, overflow) = ctx.now.subtractingReportingOverflow(configuration.retransmitIntervalMs)
        guard !overflow else { return }
        let others = (0..<configuration.replicaCount).map { ReplicaID($0) }.filter { $0 != me }
        for seq in state.entries.keys.sorted() where seq > state.lastCommitted {
            guard let e = state.entries[seq], e.view == state.view else { continue }
            guard e.acceptedAtMs <= due else { continue }
            if isPrimary, let pp = e.prePrepare, pp.signer == me, let b = e.batch {
                for r in others where e.prepares[r] == nil && e.commits[r] == nil {
                    ctx.emit(.send(.prePrepare(pp, batch: b), to: r))
                }
            }
            if e.sentPrepare, let p = e.prepares[me] {
                for r in others where e.commits[r] == nil { ctx.emit(.send(.prepare(p), to: r)) }
            }
            if e.sentCommit, let c = e.commits[me] { ctx.emit(.broadcast(.commit(c))) }
        }
    }

    mutating func broadcastStatus(_ ctx: inout Context<B>) {
        let status = Status(view: state.view, isChangingView: state.isChangingView,
                            lastExecuted: state.lastCommitted, stableCheckpoint: state.lowWatermark)
        ctx.emit(.broadcast(.status(sign(status))))
    }

    /// A peer's STATUS: send it what it lacks (the NEW-VIEW of our view, committed batches,
    /// the stable checkpoint proof), at most `PBFTLimits.repliesPerPeerPerRetransmitInterval`
    /// times per retransmission interval (`Replica+Replies.swift`).
    mutating func onStatus(_ m: Signed<Status>, _ ctx: inout Context<B>) {
        let s = m.body
        let peer = m.signer
        recordStatus(m, &ctx)
        var answer: [Message<B>] = []
        if !state.isChangingView, let nv = state.viewChange.currentNewView, nv.message.body.view == state.view,
           s.view < state.view || (s.view == state.view && s.isChangingView) {
            answer.append(.newView(nv.message))
        }
        if s.isChangingView, s.view > state.view || (s.view == state.view && state.isChangingView),
           let own = state.viewChange.own, own.message.body.newView == s.view {
            answer.append(.viewChange(own.message))
        }
        // At the epoch's end no later checkpoint will come: a peer that executed the last block but missed the
        // CHECKPOINTs that make it stable gets our proof, or it never completes the epoch.
        if let a = state.epoch.lastSequence, state.lowWatermark == a, s.stableCheckpoint < a, s.lastExecuted >= a {
            for c in state.stableProof.checkpoints { answer.append(.checkpoint(c)) }
        }
        if s.lastExecuted < state.lastCommitted {
            if s.lastExecuted < state.lowWatermark {
                for c in state.stableProof.checkpoints { answer.append(.checkpoint(c)) }
            }
            var sent = 0
            var seq = max(s.lastExecuted, state.lowWatermark)
            let end = min(state.lastCommitted, highWatermark)  // the log holds nothing beyond the window
            while sent < PBFTLimits.maxCatchUpBatchesPerStatus, seq < end, let next = seq.adding(1) {
                seq = next
                guard let e = state.entries[next], let cert = e.certificate, let b = e.committedBatch else { continue }
                answer.append(.committedBatch(cert, batch: b))
                sent += 1
            }
        }
        guard !answer.isEmpty else { return }
        guard mayAnswer(peer, in: \.statusAnsweredAtMs, &ctx) else {
            state.counters.statusRepliesSuppressed += 1
            return
        }
        for message in answer { ctx.emit(.send(message, to: peer)) }
    }
}
