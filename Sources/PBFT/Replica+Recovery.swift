import LedgerCore
import LedgerCrypto

/// Start and restart: the replica rebuilds its state from the consensus log the driver recovered.
///
/// The order matters and is the order of `start`: replay the records (what we signed, the stable
/// checkpoint, our VIEW-CHANGE and the NEW-VIEW), settle the view, rebuild the prepared
/// certificates a later VIEW-CHANGE must report, rebuild the current view's slots, then resume
/// (timers, state transfer, re-sent VIEW-CHANGE, STATUS).
extension Replica {
    mutating func start(_ recovered: RecoveredState<B>, _ ctx: inout Context<B>) {
        state = ReplicaState(configuration: configuration)
        state.started = true
        state.lastExecuted = recovered.lastExecuted
        state.lastCommitted = recovered.lastExecuted
        state.lastExecutedBlockHash = recovered.lastExecutedBlockHash
        state.lastCommittedTimestampMs = recovered.lastExecutedTimestampMilliseconds
        state.lastCommittedAtPreviousTick = recovered.lastExecuted

        var log = ReplayedLog<B>()
        var otherEpoch = 0
        for record in recovered.records {
            // A log of an earlier epoch says nothing about what we signed in this one.
            if let e = record.epoch, e != configuration.epoch { otherEpoch += 1; continue }
            replay(record, into: &log)
        }
        if otherEpoch > 0 {
            drop("log record", from: me, "\(otherEpoch) records of another epoch than \(configuration.epoch) ignored", &ctx)
        }
        for slot in state.signedSlots.keys where slot.phase != .checkpoint { state.epoch.recordVote(at: slot.sequence) }
        enterRecoveredView(log, &ctx)
        // Entries at or below this only keep what a view change or a re-issue needs.
        let floor = max(state.lowWatermark, state.lastCommitted)
        rebuildPreparedCertificates(log)
        if !log.changing { rebuildCurrentView(log) }
        for (seq, e) in state.entries where seq <= floor && e.prepared == nil && e.prePrepare == nil { state.entries[seq] = nil }
        if let nv = state.viewChange.currentNewView {
            let plan = computeNewViewPlan(nv.message.body.viewChanges)
            state.nextSequence = max(state.nextSequence, plan.maxS)
        }
        state.nextSequence = max(state.nextSequence, floor)
        markLoggedRequestsInFlight()
        resume(after: recovered, changing: log.changing, &ctx)
    }

    /// Takes one persisted record into the replayed log: what we signed (so we never sign a second
    /// version), the stable checkpoint, our VIEW-CHANGE, the NEW-VIEW, and the view they imply.
    private mutating func replay(_ record: LogRecord<B>, into log: inout ReplayedLog<B>) {
        switch record {
        case let .stableCheckpoint(p):
            if p.sequence > state.stableProof.sequence { state.stableProof = p }
        case let .prePrepare(m, b):
            if m.signer == me { state.signedSlots[Slot(phase: .prePrepare, view: m.body.view, sequence: m.body.sequence)] = m.body.digest }
            log.worked(in: m.body.view)
            log.prePrepares.append((m, b))
            if m.signer == me { state.lastProposedTimestampMs = max(state.lastProposedTimestampMs, b.timestampMilliseconds) }
        case let .prepare(m):
            if m.signer == me {
                state.signedSlots[Slot(phase: .prepare, view: m.body.view, sequence: m.body.sequence)] = m.body.digest
                log.worked(in: m.body.view)
            }
            log.prepares.append(m)
        case let .commit(m):
            state.signedSlots[Slot(phase: .commit, view: m.body.view, sequence: m.body.sequence)] = m.body.digest
            log.worked(in: m.body.view)
            log.commits.append(m)
        case let .checkpoint(m):
            state.signedSlots[Slot(phase: .checkpoint, view: nil, sequence: m.body.sequence)] = m.body.blockHash
            state.ownCheckpoints[m.body.sequence] = m
        case let .viewChange(m, b):
            if m.body.newView > log.view {
                log.view = m.body.newView; log.changing = true
            }
            if m.body.newView >= (state.viewChange.own?.message.body.newView ?? .zero) { state.viewChange.own = (m, b) }
        case let .newView(m, b):
            replayNewView(m, batches: b, into: &log)
        }
    }

    /// A persisted NEW-VIEW: the view it installs, the pre-prepares we signed in it (as its
    /// primary), and its O set's pre-prepares with their batches.
    private mutating func replayNewView(_ m: Signed<NewView>, batches b: [B], into log: inout ReplayedLog<B>) {
        if m.body.view >= log.view { log.view = m.body.view; log.changing = false; state.viewChange.currentNewView = (m, b) }
        log.workedIn = max(log.workedIn, m.body.view)
        if m.signer == me {
            for pp in m.body.prePrepares {
                state.signedSlots[Slot(phase: .prePrepare, view: pp.body.view, sequence: pp.body.sequence)] = pp.body.digest
            }
        }
        for pp in m.body.prePrepares {
            if let batch = b.first(where: { $0.digest == pp.body.digest }) ?? (pp.body.digest == B.null.digest ? B.null : nil) {
                log.prePrepares.append((pp, batch))
            }
        }
    }

    /// Settles the view the log implies (changing view if our latest record is a VIEW-CHANGE) and
    /// drops what belongs to other views or below the stable checkpoint.
    private mutating func enterRecoveredView(_ log: ReplayedLog<B>, _ ctx: inout Context<B>) {
        state.view = log.view
        state.isChangingView = log.changing
        if log.changing {
            state.rejoin.viewBeforeChange = log.workedIn
            state.rejoin.viewChangeStartedAtMs = ctx.now
        }
        if let nv = state.viewChange.currentNewView, nv.message.body.view != log.view { state.viewChange.currentNewView = nil }
        for (k, _) in state.ownCheckpoints where k < state.lowWatermark { state.ownCheckpoints[k] = nil }
    }

    /// Rebuilds the prepared certificates above the stable checkpoint (for our next VIEW-CHANGE)
    /// from the persisted pre-prepares and prepares, keeping the highest view per sequence number.
    private mutating func rebuildPreparedCertificates(_ log: ReplayedLog<B>) {
        var preparesBySlot: [Slot: [ReplicaID: Signed<Prepare>]] = [:]
        for p in log.prepares {
            preparesBySlot[Slot(phase: .prepare, view: p.body.view, sequence: p.body.sequence), default: [:]][p.signer] = p
        }
        for (m, b) in log.prePrepares where inWindow(m.body.sequence) && b.digest == m.body.digest {
            let seq = m.body.sequence
            let primaryID = primary(of: m.body.view)
            let matching = (preparesBySlot[Slot(phase: .prepare, view: m.body.view, sequence: seq)] ?? [:]).values
                .filter { $0.body.digest == m.body.digest && $0.signer != primaryID }
                .sorted { $0.signer < $1.signer }
            guard m.signer == primaryID, matching.count >= configuration.backupPrepares else { continue }
            var e = state.entries[seq] ?? LogEntry(view: log.view)
            if let existing = e.prepared, existing.view >= m.body.view { continue }
            e.prepared = PreparedCertificate(prePrepare: m, prepares: matching)
            e.preparedBatch = b
            state.entries[seq] = e
        }
    }

    /// Rebuilds the current view's per-sequence state from what we signed in it.
    private mutating func rebuildCurrentView(_ log: ReplayedLog<B>) {
        let view = log.view
        for (m, b) in log.prePrepares where m.body.view == view && inWindow(m.body.sequence) {
            var e = state.entries[m.body.sequence] ?? LogEntry(view: view)
            e.prePrepare = m
            e.batch = b
            e.acceptedAtMs = 0
            state.entries[m.body.sequence] = e
            if m.body.sequence > state.nextSequence { state.nextSequence = m.body.sequence }
        }
        for p in log.prepares where p.body.view == view && p.signer == me {
            guard var e = state.entries[p.body.sequence], e.prePrepare?.body.digest == p.body.digest else { continue }
            e.prepares[me] = p
            e.sentPrepare = true
            state.entries[p.body.sequence] = e
        }
        for c in log.commits where c.body.view == view {
            guard var e = state.entries[c.body.sequence], e.prePrepare?.body.digest == c.body.digest else { continue }
            e.commits[me] = c
            e.sentCommit = true
            state.entries[c.body.sequence] = e
        }
    }

    /// Goes back to work: the voting fence, the retransmission timer, state transfer if the log
    /// was pruned past what we executed, our VIEW-CHANGE re-sent, STATUS, and the view's checks.
    private mutating func resume(after recovered: RecoveredState<B>, changing: Bool, _ ctx: inout Context<B>) {
        ctx.emit(.note(.started(view: state.view, lastExecuted: state.lastExecuted, changingView: changing)))
        if let fence = recovered.votingFence, state.stableProof.sequence < fence {
            state.votingFence = fence
            ctx.emit(.note(.votesWithheld(until: fence)))
        }
        state.timers.retransmitTimerRunning = true
        ctx.emit(.setTimer(.retransmit, afterMilliseconds: configuration.retransmitIntervalMs))
        if state.lastCommitted < state.lowWatermark {
            // Our log was pruned past what the driver executed: fetch the state at the checkpoint.
            let proof = state.stableProof
            let target = StateTransferTarget(sequence: proof.sequence, blockHash: proof.blockHash, checkpoints: proof.checkpoints)
            state.stateTransferRequest = target
            state.counters.stateTransfersRequested += 1
            ctx.emit(.requestStateTransfer(target))
        }
        if changing, let own = state.viewChange.own {
            state.viewChange.latest[me] = own.message
            ctx.emit(.broadcast(.viewChange(own.message)))
            armNewViewTimer(&ctx)
        }
        broadcastStatus(&ctx)
        if !changing {
            beginViewPace(&ctx)
            beginViewRelay(&ctx)
        }
        // Restarted with checkpoint `a` already stable (`ReplicaConfiguration.lastSequence`).
        checkEpochComplete(&ctx)
    }
}

/// What replaying the consensus log found, beyond what goes straight into the state.
private struct ReplayedLog<B: ConsensusBatch> {
    /// The view the log implies (the highest one we worked in, asked for or installed).
    var view = View.zero
    /// `true` if the latest of those is a VIEW-CHANGE.
    var changing = false
    /// The highest view with a record of working in it (not a VIEW-CHANGE).
    var workedIn = View.zero
    var prePrepares: [(Signed<PrePrepare>, B)] = []
    var prepares: [Signed<Prepare>] = []
    var commits: [Signed<Commit>] = []

    /// A record of working in `view` (a pre-prepare, our prepare or commit).
    mutating func worked(in view: View) {
        if view > self.view { self.view = view; changing = false }
        workedIn = max(workedIn, view)
    }
}
