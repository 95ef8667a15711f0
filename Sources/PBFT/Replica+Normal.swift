import LedgerCore
import LedgerCrypto

/// The normal case (Castro & Liskov §4.2): pre-prepare, prepare, commit, in-order execution.
extension Replica {
    mutating func receive(_ message: Message<B>, _ ctx: inout Context<B>) {
        if let s = message.signer, s == me { return }  // our own message echoed back: nothing to learn
        switch message {
        case let .prePrepare(m, batch): onPrePrepare(m, batch, &ctx)
        case let .prepare(m): onPrepare(m, &ctx)
        case let .commit(m): onCommit(m, &ctx)
        case let .checkpoint(m): onCheckpoint(m, &ctx)
        case let .viewChange(m): onViewChange(m, &ctx)
        case let .newView(m): onNewView(m, &ctx)
        case let .status(m): onStatus(m, &ctx)
        case let .committedBatch(cert, batch): onCommittedBatch(cert, batch, &ctx)
        case let .batchFetch(m): onBatchFetch(m, &ctx)
        case let .fetchedBatch(batch): onFetchedBatch(batch, &ctx)
        }
    }

    /// Common guard for PRE-PREPARE / PREPARE / COMMIT: current view, not changing, in the window,
    /// not above the epoch's last sequence number.
    mutating func admitsNormalCase(_ kind: String, view v: View, seq: SequenceNumber, from: ReplicaID, _ ctx: inout Context<B>) -> Bool {
        guard !state.isChangingView, v == state.view else {
            state.counters.droppedWrongView += 1
            return false
        }
        guard inWindow(seq) else {
            state.counters.droppedOutsideWatermarks += 1
            return false
        }
        return !refusedBeyondEpoch(kind, seq, from: from, &ctx)
    }

    // MARK: PRE-PREPARE

    mutating func onPrePrepare(_ m: Signed<PrePrepare>, _ batch: B, _ ctx: inout Context<B>) {
        let pp = m.body
        if pp.view == state.view, !state.isChangingView, m.signer == primary(of: pp.view), pp.sequence > highWatermark {
            state.pace.primaryProposedAboveWindowAtMs = ctx.now  // the primary is proposing; we are behind
        }
        guard admitsNormalCase("pre-prepare", view: pp.view, seq: pp.sequence, from: m.signer, &ctx) else { return }
        guard m.signer == primary(of: pp.view) else {
            reject("pre-prepare", from: m.signer, "\(m.signer) is not the primary of \(pp.view)", &ctx)
            return
        }
        // Sequence numbers we already committed still take part (others may need our votes, e.g.
        // when a NEW-VIEW re-issues them), but only while we hold their entry.
        guard pp.sequence > state.lastCommitted || state.entries[pp.sequence] != nil else { state.counters.duplicates += 1; return }
        var e = entry(pp.sequence)
        if let existing = e.prePrepare {
            if existing.body.digest == pp.digest { state.counters.duplicates += 1 } else {
                reportEquivocation(.prePrepare(existing), .prePrepare(m), &ctx)
            }
            return
        }
        if let cert = e.certificate, cert.digest != pp.digest {
            reject("pre-prepare", from: m.signer, "\(pp.sequence) already committed with another digest", &ctx)
            return
        }
        if !batch.isNull && pp.sequence > state.lastCommitted {
            let floor = timestampFloor(below: pp.sequence)
            let ts = batch.timestampMilliseconds
            guard ts > floor else {
                reject("pre-prepare", from: m.signer, "batch timestamp \(ts) is not after the previous batch's \(floor)", &ctx)
                return
            }
            let (limit, overflow) = ctx.now.addingReportingOverflow(configuration.maxClockDriftMs)
            guard overflow || ts <= limit else {
                reject("pre-prepare", from: m.signer, "batch timestamp \(ts) is more than \(configuration.maxClockDriftMs) ms ahead of \(ctx.now)", &ctx)
                return
            }
        }
        let prepareSlot = Slot(phase: .prepare, view: pp.view, sequence: pp.sequence)
        if let signedDigest = state.signedSlots[prepareSlot], signedDigest != pp.digest {
            reject("pre-prepare", from: m.signer, "we already prepared another digest at (\(pp.view), \(pp.sequence))", &ctx)
            return
        }
        e.prePrepare = m
        e.batch = batch
        e.acceptedAtMs = ctx.now
        state.entries[pp.sequence] = e
        recordProposal(batch, &ctx)
        ctx.emit(.persist(.prePrepare(m, batch: batch)))
        sendPrepare(pp.sequence, &ctx)
        checkPrepared(pp.sequence, &ctx)
        ensureViewChangeTimer(&ctx)
    }

    /// Signs, persists and broadcasts our PREPARE for the accepted pre-prepare at `seq` (backups only).
    mutating func sendPrepare(_ seq: SequenceNumber, _ ctx: inout Context<B>) {
        guard var e = state.entries[seq], let pp = e.prePrepare, !e.sentPrepare, !isPrimary else { return }
        // Defensive: never vote for a digest other than one we hold a commit certificate for
        // (possible only if more than f replicas failed or lost their logs).
        if let cert = e.certificate, cert.digest != pp.body.digest { return }
        let body = Prepare(view: pp.body.view, sequence: seq, digest: pp.body.digest)
        guard claim(Slot(phase: .prepare, view: body.view, sequence: seq), body.digest) else { return }
        let signed = sign(body)
        e.prepares[me] = signed
        e.sentPrepare = true
        state.entries[seq] = e
        ctx.emit(.persist(.prepare(signed)))
        ctx.emit(.broadcast(.prepare(signed)))
    }

    // MARK: PREPARE

    mutating func onPrepare(_ m: Signed<Prepare>, _ ctx: inout Context<B>) {
        let p = m.body
        guard admitsNormalCase("prepare", view: p.view, seq: p.sequence, from: m.signer, &ctx) else { return }
        guard m.signer != primary(of: p.view) else {
            reject("prepare", from: m.signer, "the primary does not prepare", &ctx)
            return
        }
        guard p.sequence > state.lastCommitted || state.entries[p.sequence] != nil else { state.counters.duplicates += 1; return }
        var e = entry(p.sequence)
        if let existing = e.prepares[m.signer] {
            if existing.body.digest == p.digest { state.counters.duplicates += 1 } else {
                reportEquivocation(.prepare(existing), .prepare(m), &ctx)
            }
            return
        }
        e.prepares[m.signer] = m
        state.entries[p.sequence] = e
        checkPrepared(p.sequence, &ctx)
    }

    /// prepared(m, v, n, i): the pre-prepare plus `quorum − 1` matching prepares from distinct
    /// backups (2f when n = 3f + 1).
    /// On becoming prepared, sign and send COMMIT.
    mutating func checkPrepared(_ seq: SequenceNumber, _ ctx: inout Context<B>) {
        guard var e = state.entries[seq], let pp = e.prePrepare, e.batch != nil, !e.sentCommit else { return }
        if let cert = e.certificate, cert.digest != pp.body.digest { return }
        let primaryID = primary(of: pp.body.view)
        let matching = e.prepares.values
            .filter { $0.signer != primaryID && $0.body.digest == pp.body.digest }
            .sorted { $0.signer < $1.signer }
        guard matching.count >= configuration.backupPrepares else { return }
        e.prepared = PreparedCertificate(prePrepare: pp, prepares: matching)
        e.preparedBatch = e.batch
        let body = Commit(view: pp.body.view, sequence: seq, digest: pp.body.digest)
        guard claim(Slot(phase: .commit, view: body.view, sequence: seq), body.digest) else {
            state.entries[seq] = e
            checkCommitted(seq, &ctx)  // a follower may already hold a quorum of COMMITs from the others
            return
        }
        let signed = sign(body)
        e.commits[me] = signed
        e.sentCommit = true
        state.entries[seq] = e
        // Persist the others' prepares too: with the pre-prepare and our own prepare they rebuild
        // the prepared certificate after a crash, so a later VIEW-CHANGE still reports it (else a
        // new primary could re-assign a sequence number that already committed).
        for p in matching where p.signer != me { ctx.emit(.persist(.prepare(p))) }
        ctx.emit(.persist(.commit(signed)))
        ctx.emit(.broadcast(.commit(signed)))
        checkCommitted(seq, &ctx)
    }

    // MARK: COMMIT

    mutating func onCommit(_ m: Signed<Commit>, _ ctx: inout Context<B>) {
        let c = m.body
        guard admitsNormalCase("commit", view: c.view, seq: c.sequence, from: m.signer, &ctx) else { return }
        guard c.sequence > state.lastCommitted || state.entries[c.sequence] != nil else { state.counters.duplicates += 1; return }
        var e = entry(c.sequence)
        if let existing = e.commits[m.signer] {
            if existing.body.digest == c.digest { state.counters.duplicates += 1 } else {
                reportEquivocation(.commit(existing), .commit(m), &ctx)
            }
            return
        }
        e.commits[m.signer] = m
        state.entries[c.sequence] = e
        checkCommitted(c.sequence, &ctx)
    }

    /// committed-local(m, v, n, i): prepared plus a quorum of matching commits (possibly our own).
    /// A replica that may not vote in the view (`mayVote(in:)`) follows: a quorum of COMMITs from the
    /// others are a commit certificate without its own.
    mutating func checkCommitted(_ seq: SequenceNumber, _ ctx: inout Context<B>) {
        guard var e = state.entries[seq], e.certificate == nil, let pp = e.prePrepare, let batch = e.batch,
              e.sentCommit || !mayVote(in: pp.body.view)
        else { return }
        let matching = e.commits.values.filter { $0.body.digest == pp.body.digest }.sorted { $0.signer < $1.signer }
        guard matching.count >= quorum else { return }
        e.certificate = CommitCertificate(view: pp.body.view, sequence: seq, digest: pp.body.digest, commits: matching)
        e.committedBatch = batch
        state.entries[seq] = e
        commitInOrder(&ctx)
    }

    /// Hands committed batches to the driver strictly in sequence order.
    mutating func commitInOrder(_ ctx: inout Context<B>) {
        guard state.stateTransferTarget == nil else { return }
        var committed: [CommittedBatch<B>] = []
        while let next = state.lastCommitted.adding(1), let e = state.entries[next],
              let cert = e.certificate, let batch = e.committedBatch {
            state.lastCommitted = next
            if !batch.isNull { state.lastCommittedTimestampMs = max(state.lastCommittedTimestampMs, batch.timestampMilliseconds) }
            forgetRequests(in: batch)
            committed.append(CommittedBatch(sequence: next, batch: batch, certificate: cert, proposer: primary(of: batch.view)))
        }
        guard !committed.isEmpty else { return }
        if !state.isChangingView { state.timers.viewChangeTimeoutMs = configuration.viewChangeTimeoutMs }
        restartViewChangeTimer(&ctx)
        // The commits go first: emitting the next PRE-PREPARE ahead of them was measured to halve a
        // restarted node's catch-up (its state-transfer target fell short of the head), for no
        // measurable gain at the peak.
        for c in committed { ctx.emit(.commit(c)) }
        if isPrimary { tryPropose(&ctx) }
    }

    // MARK: catch-up

    /// A committed batch with its certificate from a peer (we were behind).
    mutating func onCommittedBatch(_ cert: CommitCertificate, _ batch: B, _ ctx: inout Context<B>) {
        let seq = cert.sequence
        guard seq > state.lastCommitted else { state.counters.duplicates += 1; return }
        guard inWindow(seq) else { state.counters.droppedOutsideWatermarks += 1; return }
        guard !refusedBeyondEpoch("committed-batch", seq, from: nil, &ctx) else { return }
        do throws(PBFTError) {
            try cert.validateStructure(replicaCount: n, quorum: quorum)
        } catch {
            reject("committed-batch", from: nil, "\(error)", &ctx)
            return
        }
        guard batch.digest == cert.digest else {
            reject("committed-batch", from: nil, "batch digest does not match its certificate", &ctx)
            return
        }
        crossCheck(cert, &ctx)
        var e = state.entries[seq] ?? LogEntry(view: state.view)
        guard e.certificate == nil else { state.counters.duplicates += 1; return }
        e.certificate = cert
        e.committedBatch = batch
        state.entries[seq] = e
        commitInOrder(&ctx)
    }

    // MARK: execution

    mutating func executed(_ seq: SequenceNumber, blockHash: Digest, _ ctx: inout Context<B>) {
        guard seq > state.lastExecuted, seq <= state.lastCommitted else { return }
        state.lastExecuted = seq
        state.lastExecutedBlockHash = blockHash
        if seq.rawValue % configuration.checkpointInterval == 0 {
            sendCheckpoint(seq, blockHash: blockHash, &ctx)
        }
        checkEpochComplete(&ctx)
    }
}
