import LedgerCore
import LedgerCrypto

/// View changes (Castro & Liskov §4.4): VIEW-CHANGE, the O-set computation, NEW-VIEW.
extension Replica {
    /// Leaves the current view for `target`: sign, persist and broadcast VIEW-CHANGE(target, C, P).
    mutating func startViewChange(to target: View, reason: String, _ ctx: inout Context<B>) {
        guard target > state.view else { return }
        // The epoch is over here: the next epoch's replica orders from now on.
        guard !state.epoch.isComplete else {
            drop("view-change", from: me, "not joining \(target): the epoch ended at \(state.stableProof.sequence)", &ctx)
            return
        }
        // A replica that lost log records cannot report its prepared certificates truthfully: it
        // stays in its view and follows the NEW-VIEW the others install.
        guard !withholdsVotes else {
            drop("view-change", from: me, "not joining \(target): votes withheld until checkpoint \(state.votingFence!) is stable", &ctx)
            return
        }
        if !state.isChangingView {
            endViewPace(&ctx)
            state.rejoin.viewBeforeChange = state.view
        }
        endViewRelay(&ctx)
        state.rejoin.viewChangeStartedAtMs = ctx.now
        state.view = target
        state.isChangingView = true
        state.counters.viewChangesStarted += 1
        if state.timers.batchTimerRunning { state.timers.batchTimerRunning = false; ctx.emit(.cancelTimer(.batch)) }
        state.timers.batchHoldStartMs = nil
        if state.timers.viewChangeTimerRunning { state.timers.viewChangeTimerRunning = false; ctx.emit(.cancelTimer(.viewChange)) }
        state.queue.inFlight.removeAll()
        state.queue.proposeCursor = state.queue.head
        if let pending = state.viewChange.pendingNewView, pending.body.view < target { state.viewChange.pendingNewView = nil }

        let vc: (message: Signed<ViewChange>, batches: [B])
        if let own = state.viewChange.own, own.message.body.newView == target {
            vc = own  // restarted mid-change: re-send what we signed, never a second version
        } else {
            // Report the latest stable checkpoint we hold a quorum proof for, even one we are still
            // fetching the state of (as the paper's replicas do): prepared certificates at or below
            // it are not needed by any future view, and we may already have discarded them.
            let proof = state.pendingStableProof.map { $0.sequence > state.stableProof.sequence ? $0 : state.stableProof }
                ?? state.stableProof
            var certificates: [PreparedCertificate] = []
            var batches: [B] = []
            var seen = Set<Digest>()
            for seq in state.entries.keys.sorted() where seq > proof.sequence {
                guard let e = state.entries[seq], let cert = e.prepared, let b = e.preparedBatch else { continue }
                guard let limit = proof.sequence.adding(configuration.window), seq <= limit else { continue }
                certificates.append(cert)
                if !b.isNull, seen.insert(b.digest).inserted { batches.append(b) }
            }
            let body = ViewChange(newView: target, stableCheckpoint: proof, preparedCertificates: certificates)
            vc = (sign(body), batches)
            ctx.emit(.persist(.viewChange(vc.message, batches: vc.batches)))
        }
        state.viewChange.own = vc
        state.viewChange.latest[me] = vc.message
        ctx.emit(.note(.viewChangeStarted(view: target, reason: reason)))
        ctx.emit(.broadcast(.viewChange(vc.message)))
        armNewViewTimer(&ctx)
        afterViewChangeVotes(&ctx)
    }

    mutating func onViewChange(_ m: Signed<ViewChange>, _ ctx: inout Context<B>) {
        let target = m.body.newView
        if target < state.view || (target == state.view && !state.isChangingView) {
            // A replica still asking for a view we already installed missed the NEW-VIEW.
            if target == state.view, let nv = state.viewChange.currentNewView {
                if mayAnswer(m.signer, in: \.newViewResentAtMs, &ctx) {
                    ctx.emit(.send(.newView(nv.message), to: m.signer))
                } else {
                    state.counters.newViewRepliesSuppressed += 1
                }
            } else {
                state.counters.droppedWrongView += 1
            }
            return
        }
        do throws(PBFTError) {
            try validateViewChange(m.body)
        } catch {
            reject("view-change", from: m.signer, "\(error)", &ctx)
            return
        }
        if let previous = state.viewChange.latest[m.signer], previous.body.newView >= target {
            state.counters.duplicates += 1
            return
        }
        state.viewChange.latest[m.signer] = m
        for cert in m.body.preparedCertificates { crossCheck(cert, &ctx) }
        let proof = m.body.stableCheckpoint
        if proof.sequence > state.lowWatermark { learnStable(proof, &ctx) }

        // Join rule: f + 1 replicas ask for views above ours → join the smallest of them.
        let higher = state.viewChange.latest.values.map(\.body.newView).filter {
            $0 > state.view
        }
        if higher.count >= configuration.weakQuorum, let smallest = higher.min() {
            startViewChange(to: smallest, reason: "\(higher.count) replicas asked for views above \(state.view)", &ctx)
            return
        }
        afterViewChangeVotes(&ctx)
    }

    /// With a quorum of view changes for our target view: the new primary sends NEW-VIEW, everyone
    /// else starts the timer that bounds the wait for it.
    mutating func afterViewChangeVotes(_ ctx: inout Context<B>) {
        guard state.isChangingView else { return }
        let votes = state.viewChange.latest.values.filter { $0.body.newView == state.view }
        if votes.count >= quorum && primary(of: state.view) == me {
            sendNewView(&ctx)
        }
        armNewViewTimer(&ctx)
    }

    /// Bounds the wait for a NEW-VIEW once a quorum of replicas (us included) asked for our target view
    /// *or a higher one*: if it does not arrive in time we move on with a doubled timeout. The paper
    /// counts only VIEW-CHANGEs for exactly our view; after crashes and partitions some replicas may
    /// already have moved further, and then no replica would ever time out again.
    mutating func armNewViewTimer(_ ctx: inout Context<B>) {
        guard state.isChangingView, !state.timers.viewChangeTimerRunning else { return }
        let leaving = state.viewChange.latest.values.filter { $0.body.newView >= state.view }.count
        guard leaving >= quorum else { return }
        state.timers.viewChangeTimerRunning = true
        state.timers.watchedRequest = nil
        ctx.emit(.setTimer(.viewChange, afterMilliseconds: state.timers.viewChangeTimeoutMs))
    }

    /// Structural checks on a VIEW-CHANGE (signatures were checked by the verifier); nothing in
    /// it may lie above the epoch's last sequence number (no honest replica signs there).
    func validateViewChange(_ vc: ViewChange) throws(PBFTError) {
        let proof = vc.stableCheckpoint
        try proof.validateStructure(replicaCount: n, quorum: quorum, start: configuration.epochStart)
        let epochEnd = state.epoch.lastSequence.map(\.rawValue) ?? UInt64.max
        guard proof.sequence.rawValue <= epochEnd else {
            throw .invalidViewChange("checkpoint \(proof.sequence) is above the epoch's last sequence number \(epochEnd)")
        }
        guard let limit = proof.sequence.adding(configuration.window) else {
            throw .invalidViewChange("checkpoint \(proof.sequence) leaves no room for a window")
        }
        guard vc.preparedCertificates.count <= Int(configuration.window) else {
            throw .invalidViewChange("\(vc.preparedCertificates.count) prepared certificates exceed the window")
        }
        var seqs = Set<SequenceNumber>()
        for cert in vc.preparedCertificates {
            try cert.validateStructure(replicaCount: n, quorum: quorum)
            guard cert.view < vc.newView else {
                throw .invalidViewChange("certificate at \(cert.sequence) is from \(cert.view), not below \(vc.newView)")
            }
            guard cert.sequence > proof.sequence, cert.sequence <= limit, cert.sequence.rawValue <= epochEnd else {
                throw .invalidViewChange("certificate at \(cert.sequence) is outside (\(proof.sequence), \(min(limit.rawValue, epochEnd))]")
            }
            guard seqs.insert(cert.sequence).inserted else {
                throw .invalidViewChange("two certificates for \(cert.sequence)")
            }
        }
    }

    /// The O-set computation, exactly as the new primary and every backup perform it:
    /// min-s = the latest stable checkpoint in V; max-s = the highest prepared sequence number;
    /// for each n in (min-s, max-s] the digest of the certificate from the highest view, else null.
    func computeNewViewPlan(_ viewChanges: [Signed<ViewChange>]) -> NewViewPlan {
        var proof = configuration.epochStart.proof
        for vc in viewChanges.sorted(by: { $0.signer < $1.signer })
        where vc.body.stableCheckpoint.sequence > proof.sequence {
            proof = vc.body.stableCheckpoint
        }
        var best: [SequenceNumber: PreparedCertificate] = [:]
        for vc in viewChanges {
            for cert in vc.body.preparedCertificates where cert.sequence > proof.sequence {
                if let current = best[cert.sequence] {
                    if cert.view > current.view || (cert.view == current.view && cert.digest < current.digest) {
                        best[cert.sequence] = cert
                    }
                } else {
                    best[cert.sequence] = cert
                }
            }
        }
        let maxS = best.keys.max() ?? proof.sequence
        var slots: [(SequenceNumber, Digest)] = []
        var seq = proof.sequence
        while seq < maxS, let next = seq.adding(1) {
            slots.append((next, best[next]?.digest ?? B.null.digest))
            seq = next
        }
        return NewViewPlan(checkpoint: proof, maxS: maxS, slots: slots)
    }

    /// Every batch this replica holds for a view change, by digest: its log, its own
    /// VIEW-CHANGE, the current NEW-VIEW and what it fetched. Built once per use (the log holds
    /// at most a window of entries).
    func batchesAtHand() -> [Digest: B] {
        var index = state.fetch.fetched
        func add(_ b: B?) { if let b, !b.isNull, index[b.digest] == nil { index[b.digest] = b } }
        for e in state.entries.values { add(e.batch); add(e.preparedBatch); add(e.committedBatch) }
        for b in state.viewChange.own?.batches ?? [] { add(b) }
        for b in state.viewChange.currentNewView?.batches ?? [] { add(b) }
        return index
    }

    /// The batches for `plan`'s non-null slots (each once, in slot order), or the digests we lack.
    func resolve(_ plan: NewViewPlan, in index: [Digest: B]) -> Result<[B], MissingBatches> {
        var batches: [B] = []
        var seen = Set<Digest>()
        var missing: [Digest] = []
        for (_, digest) in plan.slots where digest != B.null.digest && seen.insert(digest).inserted {
            if let b = index[digest] { batches.append(b) } else { missing.append(digest) }
        }
        return missing.isEmpty ? .success(batches) : .failure(MissingBatches(digests: missing))
    }

    /// The new primary: build and send NEW-VIEW(v, V, O), then install it. Any quorum of valid
    /// VIEW-CHANGEs makes a valid V, so when the batches of some are missing it uses the others
    /// if they are enough; otherwise it fetches what it lacks and tries again as batches arrive.
    mutating func sendNewView(_ ctx: inout Context<B>) {
        let v = state.view
        if let nv = state.viewChange.currentNewView, nv.message.body.view == v { return }
        let votes = state.viewChange.latest.values
            .filter { $0.body.newView == v }
            .sorted { $0.signer < $1.signer }
        let index = batchesAtHand()
        var chosen = votes
        var plan = computeNewViewPlan(chosen)
        var resolved: [B]
        switch resolve(plan, in: index) {
        case let .success(all):
            resolved = all
        case let .failure(missing):
            let complete = votes.filter { vc in
                vc.body.preparedCertificates.allSatisfy { $0.digest == B.null.digest || index[$0.digest] != nil }
            }
            guard complete.count >= quorum, case let .success(all) = resolve(computeNewViewPlan(complete), in: index) else {
                want(missing.digests, for: v, sources: { digest in
                    votes.filter { vc in vc.body.preparedCertificates.contains { $0.digest == digest } }.map(\.signer)
                }, &ctx)
                drop("new-view", from: me, "lacking \(missing.digests.count) batches for \(v); fetching them", &ctx)
                return
            }
            chosen = complete
            plan = computeNewViewPlan(chosen)
            resolved = all
        }
        // Nothing is signed until every batch is at hand, so a retry with more view changes is free to differ.
        var prePrepares: [Signed<PrePrepare>] = []
        for (seq, digest) in plan.slots {
            guard claim(Slot(phase: .prePrepare, view: v, sequence: seq), digest) else {
                reject("new-view", from: me, "we already pre-prepared another digest at (\(v), \(seq))", &ctx)
                return
            }
            prePrepares.append(sign(PrePrepare(view: v, sequence: seq, digest: digest)))
        }
        let signed = sign(NewView(view: v, viewChanges: chosen, prePrepares: prePrepares))
        ctx.emit(.persist(.newView(signed, batches: resolved)))
        ctx.emit(.broadcast(.newView(signed)))
        install(signed, batches: resolved, plan: plan, &ctx)
    }

    mutating func onNewView(_ m: Signed<NewView>, _ ctx: inout Context<B>) {
        let nv = m.body
        let v = nv.view
        guard v > state.view || (v == state.view && state.isChangingView) else {
            state.counters.droppedWrongView += 1
            return
        }
        switch checkNewView(m) {
        case let .invalid(error):
            if state.viewChange.pendingNewView == m { state.viewChange.pendingNewView = nil }
            reject("new-view", from: m.signer, "\(error)", &ctx)
            // The primary of our target view signed a NEW-VIEW that does not follow from its own
            // V set: proof that it is faulty (an honest primary's NEW-VIEW checks out at every
            // honest backup — O is recomputed from V alone). Waiting out the timer would only
            // lengthen the outage, and the wait is not the network's fault, so move on at once
            // without doubling the timeout.
            if v == state.view && state.isChangingView && m.signer == primary(of: v), let next = v.next {
                startViewChange(to: next, reason: "the primary of \(v) sent an invalid NEW-VIEW", &ctx)
                return
            }
            // Otherwise bound the wait for a good one.
            if v == state.view && state.isChangingView && !state.timers.viewChangeTimerRunning {
                state.timers.viewChangeTimerRunning = true
                ctx.emit(.setTimer(.viewChange, afterMilliseconds: state.timers.viewChangeTimeoutMs))
            }
        case let .incomplete(missing):
            // Valid, but we lack batches of its O set: the new primary held every one of them
            // before signing, and so does each replica whose certificate names one. The wait is
            // bounded by the view-change timer, as any wait for a NEW-VIEW is.
            if let pending = state.viewChange.pendingNewView, pending.body.view > v { return }
            state.viewChange.pendingNewView = m
            want(missing.digests, for: v, sources: { digest in
                [m.signer] + nv.viewChanges
                    .filter { vc in vc.body.preparedCertificates.contains { $0.digest == digest } }
                    .map(\.signer).filter { $0 != m.signer }
            }, &ctx)
            if v == state.view && state.isChangingView && !state.timers.viewChangeTimerRunning {
                state.timers.viewChangeTimerRunning = true
                ctx.emit(.setTimer(.viewChange, afterMilliseconds: state.timers.viewChangeTimeoutMs))
            }
        case let .complete(plan, resolved):
            state.viewChange.pendingNewView = nil
            ctx.emit(.persist(.newView(m, batches: resolved)))
            if !state.isChangingView { endViewPace(&ctx) }  // jumped straight from a working view
            state.view = v
            install(m, batches: resolved, plan: plan, &ctx)
        }
    }

    /// Checks a NEW-VIEW: signed by the primary of its view; a quorum of valid VIEW-CHANGEs for
    /// that view from distinct replicas; O equal to what we compute from V. Then looks up the
    /// batches of O: all at hand, or the digests still to fetch.
    func checkNewView(_ m: Signed<NewView>) -> NewViewCheck<B> {
        let nv = m.body
        let v = nv.view
        guard m.signer == primary(of: v) else {
            return .invalid(.invalidViewChange("new-view for \(v) signed by \(m.signer), not its primary \(primary(of: v))"))
        }
        var signers = Set<ReplicaID>()
        for vc in nv.viewChanges {
            guard vc.body.newView == v else {
                return .invalid(.invalidViewChange("new-view for \(v) holds a view-change for \(vc.body.newView)"))
            }
            do throws(PBFTError) {
                try validateViewChange(vc.body)
            } catch {
                return .invalid(error)
            }
            signers.insert(vc.signer)
        }
        guard signers.count >= quorum, signers.count == nv.viewChanges.count else {
            return .invalid(.invalidViewChange("new-view for \(v) has \(signers.count) distinct view-changes (\(nv.viewChanges.count) entries); \(quorum) needed"))
        }
        let plan = computeNewViewPlan(nv.viewChanges)
        // Follows from the VIEW-CHANGE checks; stated here because it is the rule: no NEW-VIEW of
        // this epoch assigns a slot above its last sequence number.
        if isBeyondEpoch(plan.maxS) {
            return .invalid(.invalidViewChange("O reaches \(plan.maxS), above the epoch's last sequence number"))
        }
        guard plan.slots.count == nv.prePrepares.count else {
            return .invalid(.invalidViewChange("O has \(nv.prePrepares.count) pre-prepares; recomputed \(plan.slots.count)"))
        }
        for ((seq, digest), pp) in zip(plan.slots, nv.prePrepares) {
            guard pp.signer == m.signer, pp.body.view == v, pp.body.sequence == seq, pp.body.digest == digest else {
                return .invalid(.invalidViewChange("O entry at \(pp.body.sequence) differs from the recomputed (\(v), \(seq), \(digest))"))
            }
        }
        switch resolve(plan, in: batchesAtHand()) {
        case let .success(resolved): return .complete(plan, resolved)
        case let .failure(missing): return .incomplete(missing)
        }
    }

    /// Enters the new view: adopt min-s, re-issue O in the new view, prepare it (backups).
    mutating func install(_ m: Signed<NewView>, batches: [B], plan: NewViewPlan, _ ctx: inout Context<B>) {
        let v = m.body.view
        state.view = v
        state.isChangingView = false
        state.rejoin.viewBeforeChange = nil
        if let abandoned = state.rejoin.abandonedViewChange, v >= abandoned { state.rejoin.abandonedViewChange = nil }
        state.viewChange.currentNewView = (m, batches)
        state.counters.newViewsInstalled += 1
        state.viewChange.latest = state.viewChange.latest.filter { $0.value.body.newView > v }
        if let pending = state.viewChange.pendingNewView, pending.body.view <= v { state.viewChange.pendingNewView = nil }
        if state.viewChange.pendingNewView == nil {  // a NEW-VIEW for a higher view may still wait for its batches
            state.fetch.wanted.removeAll()
            state.fetch.fetched.removeAll()
        }
        if state.timers.viewChangeTimerRunning { state.timers.viewChangeTimerRunning = false; ctx.emit(.cancelTimer(.viewChange)) }
        state.queue.inFlight.removeAll()
        state.queue.proposeCursor = state.queue.head
        // We never sign in an older view again: forget those slots (the persisted log keeps them).
        state.signedSlots = state.signedSlots.filter { $0.key.view.map { $0 >= v } ?? true }
        ctx.emit(.note(.newViewInstalled(view: v, minS: plan.checkpoint.sequence, maxS: plan.maxS)))

        if plan.checkpoint.sequence > state.lowWatermark {
            if state.lastCommitted >= plan.checkpoint.sequence {
                makeStable(plan.checkpoint, &ctx)
            } else {
                state.pendingStableProof = plan.checkpoint
                // min-s is stable (a quorum's proof) and we will reach it by state transfer: drop our
                // entries at or below it, or the log would hold them and the new O set (up to two
                // windows) until the transfer ends.
                state.entries = state.entries.filter { $0.key > plan.checkpoint.sequence }
                considerStateTransfer(force: true, &ctx)
            }
        }
        // Entries above max-s from older views can't have committed anywhere: drop them, keeping
        // anything we hold a commit certificate for.
        for (seq, e) in state.entries {
            if seq > plan.maxS && e.certificate == nil {
                state.entries[seq] = nil
            } else {
                var reset = e
                reset.resetForView(v)
                state.entries[seq] = reset
            }
        }
        for ((seq, digest), pp) in zip(plan.slots, m.body.prePrepares) where seq > state.lowWatermark {
            var e = state.entries[seq] ?? LogEntry(view: v)
            e.prePrepare = pp
            e.batch = digest == B.null.digest ? B.null : batches.first { $0.digest == digest }
            e.acceptedAtMs = ctx.now
            // Re-proposed requests are in flight: the new primary must not batch them again.
            for r in e.batch?.requests ?? [] { state.queue.inFlight.insert(r.requestDigest) }
            state.entries[seq] = e
        }
        markLoggedRequestsInFlight()
        // Never re-assign a sequence number we already committed (defensive: O covers them when
        // every replica's prepared certificates survived).
        state.nextSequence = max(plan.maxS, state.lowWatermark, state.lastCommitted)
        for (seq, _) in plan.slots where seq > state.lowWatermark {
            sendPrepare(seq, &ctx)
            checkPrepared(seq, &ctx)
        }
        commitInOrder(&ctx)
        beginViewPace(&ctx)
        beginViewRelay(&ctx)
        if isPrimary { tryPropose(&ctx) } else { ensureViewChangeTimer(&ctx) }
    }
}

/// Digests of batches a view change needs and this replica lacks.
struct MissingBatches: Error {
    var digests: [Digest]
}

/// What checking a NEW-VIEW found.
enum NewViewCheck<B: ConsensusBatch> {
    /// It does not follow from its V set (or is signed by the wrong replica).
    case invalid(PBFTError)
    /// It is valid; these batches of its O set must be fetched before installing it.
    case incomplete(MissingBatches)
    /// It is valid and every batch of its O set is at hand.
    case complete(NewViewPlan, [B])
}

/// The result of the O-set computation.
struct NewViewPlan {
    /// The latest stable checkpoint in V (min-s) and its proof.
    var checkpoint: CheckpointProof
    /// The highest sequence number with a prepared certificate in V (or min-s).
    var maxS: SequenceNumber
    /// (n, digest) for every n in (min-s, max-s], in order.
    var slots: [(SequenceNumber, Digest)]
}
