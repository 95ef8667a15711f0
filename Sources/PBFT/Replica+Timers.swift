import LedgerCore
import LedgerCrypto
/// Start/restart, timers, retransmission and STATUS-driven catch-up.
extension Replica {
    mutating func start(_ recovered: RecoveredState<B>, _ ctx: inout Context<B>) {
        state = ReplicaState(configuration: configuration)
        state.started = true
        state.lastExecuted = recovered.lastExecuted
        state.lastCommitted = recovered.lastExecuted
        state.lastExecutedBlockHash = recovered.lastExecutedBlockHash
        state.lastCommittedTimestampMs = recovered.lastExecutedTimestampMilliseconds
        state.lastCommittedAtPreviousTick = recovered.lastExecuted

        var view = View.zero
        var changing = false
        var workedIn = View.zero  // the highest view with a record of working in it (not a VIEW-CHANGE)
        var prePrepares: [(Signed<PrePrepare>, B)] = []
        var prepares: [Signed<Prepare>] = []
        var commits: [Signed<Commit>] = []
        for record in recovered.records {
            switch record {
            case let .stableCheckpoint(p):
                if p.sequence > state.stableProof.sequence { state.stableProof = p }
            case let .prePrepare(m, b):
                if m.signer == me { state.signedSlots[Slot(phase: .prePrepare, view: m.body.view, sequence: m.body.sequence)] = m.body.digest }
                if m.body.view > view { view = m.body.view; changing = false }
                workedIn = max(workedIn, m.body.view)
                prePrepares.append((m, b))
                if m.signer == me { state.lastProposedTimestampMs = max(state.lastProposedTimestampMs, b.timestampMilliseconds) }
            case let .prepare(m):
                if m.signer == me {
                    state.signedSlots[Slot(phase: .prepare, view: m.body.view, sequence: m.body.sequence)] = m.body.digest
                    if m.body.view > view { view = m.body.view; changing = false }
                    workedIn = max(workedIn, m.body.view)
                }
                prepares.append(m)
            case let .commit(m):
                state.signedSlots[Slot(phase: .commit, view: m.body.view, sequence: m.body.sequence)] = m.body.digest
                if m.body.view > view { view = m.body.view; changing = false }
                workedIn = max(workedIn, m.body.view)
                commits.append(m)
            case let .checkpoint(m):
                state.signedSlots[Slot(phase: .checkpoint, view: nil, sequence: m.body.sequence)] = m.body.blockHash
                state.ownCheckpoints[m.body.sequence] = m
            case let .viewChange(m, b):
                if m.body.newView > view {
                    view = m.body.newView; changing = true
                }
                if m.body.newView >= (state.ownViewChange?.message.body.newView ?? .zero) { state.ownViewChange = (m, b) }
            case let .newView(m, b):
                if m.body.view >= view { view = m.body.view; changing = false; state.currentNewView = (m, b) }
                workedIn = max(workedIn, m.body.view)
                if m.signer == me {
                    for pp in m.body.prePrepares {
                        state.signedSlots[Slot(phase: .prePrepare, view: pp.body.view, sequence: pp.body.sequence)] = pp.body.digest
                    }
                }
                for pp in m.body.prePrepares {
                    if let batch = b.first(where: { $0.digest == pp.body.digest }) ?? (pp.body.digest == B.null.digest ? B.null : nil) {
                        prePrepares.append((pp, batch))
                    }
                }
            }
        }
        state.view = view
        state.isChangingView = changing
        if changing {
            state.viewBeforeChange = workedIn
            state.viewChangeStartedAtMs = ctx.now
        }
        if let nv = state.currentNewView, nv.message.body.view != view { state.currentNewView = nil }
        for (k, _) in state.ownCheckpoints where k < state.lowWatermark { state.ownCheckpoints[k] = nil }

        // Rebuild the prepared certificates above the stable checkpoint (for our next VIEW-CHANGE)
        // from the persisted pre-prepares and prepares, keeping the highest view per sequence number.
        let floor = max(state.lowWatermark, state.lastCommitted)
        var preparesBySlot: [Slot: [ReplicaID: Signed<Prepare>]] = [:]
        for p in prepares {
            preparesBySlot[Slot(phase: .prepare, view: p.body.view, sequence: p.body.sequence), default: [:]][p.signer] = p
        }
        for (m, b) in prePrepares where inWindow(m.body.sequence) && b.digest == m.body.digest {
            let seq = m.body.sequence
            let primaryID = primary(of: m.body.view)
            let matching = (preparesBySlot[Slot(phase: .prepare, view: m.body.view, sequence: seq)] ?? [:]).values
                .filter { $0.body.digest == m.body.digest && $0.signer != primaryID }
                .sorted { $0.signer < $1.signer }
            guard m.signer == primaryID, matching.count >= 2 * f else { continue }
            var e = state.entries[seq] ?? LogEntry(view: view)
            if let existing = e.prepared, existing.view >= m.body.view { continue }
            e.prepared = PreparedCertificate(prePrepare: m, prepares: matching)
            e.preparedBatch = b
            state.entries[seq] = e
        }
        // Rebuild the current view's per-sequence state from what we signed.
        if !changing {
            for (m, b) in prePrepares where m.body.view == view && inWindow(m.body.sequence) {
                var e = state.entries[m.body.sequence] ?? LogEntry(view: view)
                e.prePrepare = m
                e.batch = b
                e.acceptedAtMs = 0
                state.entries[m.body.sequence] = e
                if m.body.sequence > state.nextSequence { state.nextSequence = m.body.sequence }
            }
            for p in prepares where p.body.view == view && p.signer == me {
                guard var e = state.entries[p.body.sequence], e.prePrepare?.body.digest == p.body.digest else { continue }
                e.prepares[me] = p
                e.sentPrepare = true
                state.entries[p.body.sequence] = e
            }
            for c in commits where c.body.view == view {
                guard var e = state.entries[c.body.sequence], e.prePrepare?.body.digest == c.body.digest else { continue }
                e.commits[me] = c
                e.sentCommit = true
                state.entries[c.body.sequence] = e
            }
        }
        // Entries at or below what we executed only keep what a view change or a re-issue needs.
        for (seq, e) in state.entries where seq <= floor && e.prepared == nil && e.prePrepare == nil { state.entries[seq] = nil }
        if let nv = state.currentNewView {
            let plan = computeNewViewPlan(nv.message.body.viewChanges)
            state.nextSequence = max(state.nextSequence, plan.maxS)
        }
        state.nextSequence = max(state.nextSequence, floor)

        ctx.emit(.note(.started(view: view, lastExecuted: state.lastExecuted, changingView: changing)))
        if let fence = recovered.votingFence, state.stableProof.sequence < fence {
            state.votingFence = fence
            ctx.emit(.note(.votesWithheld(until: fence)))
        }
        state.retransmitTimerRunning = true
        ctx.emit(.setTimer(.retransmit, afterMilliseconds: configuration.retransmitIntervalMs))
        if state.lastCommitted < state.lowWatermark {
            // Our log was pruned past what the driver executed: fetch the state at the checkpoint.
            let proof = state.stableProof
            let target = StateTransferTarget(sequence: proof.sequence, blockHash: proof.blockHash, checkpoints: proof.checkpoints)
            state.stateTransferRequest = target
            state.counters.stateTransfersRequested += 1
            ctx.emit(.requestStateTransfer(target))
        }
        if changing, let own = state.ownViewChange {
            state.latestViewChange[me] = own.message
            ctx.emit(.broadcast(.viewChange(own.message)))
            armNewViewTimer(&ctx)
        }
        broadcastStatus(&ctx)
        if !changing {
            beginViewPace(&ctx)
            beginViewRelay(&ctx)
        }
    }

    mutating func timerFired(_ kind: TimerKind, _ ctx: inout Context<B>) {
        switch kind {
        case .batch:
            guard state.batchTimerRunning else { return }
            state.batchTimerRunning = false
            tryPropose(&ctx)
        case .viewChange:
            guard state.viewChangeTimerRunning else { return }
            state.viewChangeTimerRunning = false
            guard let next = state.view.next else { return }
            if state.isChangingView {
                // The NEW-VIEW did not arrive in time: try the next view with a doubled timeout.
                let doubled = state.viewChangeTimeoutMs.multipliedReportingOverflow(by: 2)
                state.viewChangeTimeoutMs = doubled.overflow ? configuration.maxViewChangeTimeoutMs
                    : min(doubled.partialValue, configuration.maxViewChangeTimeoutMs)
                startViewChange(to: next, reason: "no new-view for \(state.view) within the timeout", &ctx)
            } else if state.stateTransferTarget != nil {
                // We are the ones behind: wait for the state transfer rather than blame the primary.
                ensureViewChangeTimer(&ctx)
            } else if isWaiting && !isPrimary {
                startViewChange(to: next, reason: "pending work did not execute within \(state.viewChangeTimeoutMs) ms", &ctx)
            }
        case .pace:
            paceTimerFired(&ctx)
        case .relay:
            relayTimerFired(&ctx)
        case .retransmit:
            state.retransmitTimerRunning = true
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
            if let own = state.ownViewChange, own.message.body.newView == state.view {
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
        if !state.isChangingView, let nv = state.currentNewView, nv.message.body.view == state.view,
           s.view < state.view || (s.view == state.view && s.isChangingView) {
            answer.append(.newView(nv.message))
        }
        if s.isChangingView, s.view > state.view || (s.view == state.view && state.isChangingView),
           let own = state.ownViewChange, own.message.body.newView == s.view {
            answer.append(.viewChange(own.message))
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
