/// View changes (Castro & Liskov §4.4): VIEW-CHANGE, the O-set computation, NEW-VIEW.
extension Replica {
    /// Leaves the current view for `target`: sign, persist and broadcast VIEW-CHANGE(target, C, P).
    mutating func startViewChange(to target: View, reason: String, _ ctx: inout Context<B>) {
        guard target > state.view else { return }
        if !state.isChangingView { endViewPace(&ctx) }
        state.view = target
        state.isChangingView = true
        state.counters.viewChangesStarted += 1
        if state.batchTimerRunning { state.batchTimerRunning = false; ctx.emit(.cancelTimer(.batch)) }
        state.batchHoldStartMs = nil
        if state.viewChangeTimerRunning { state.viewChangeTimerRunning = false; ctx.emit(.cancelTimer(.viewChange)) }
        state.inFlight.removeAll()
        state.proposeCursor = state.pendingHead

        let vc: (message: Signed<ViewChange>, batches: [B])
        if let own = state.ownViewChange, own.message.body.newView == target {
            vc = own  // restarted mid-change: re-send what we signed, never a second version
        } else {
            // Report the latest stable checkpoint we hold a 2f+1 proof for, even one we are still
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
        state.ownViewChange = vc
        state.latestViewChange[me] = vc
        ctx.emit(.note(.viewChangeStarted(view: target, reason: reason)))
        ctx.emit(.broadcast(.viewChange(vc.message, batches: vc.batches)))
        armNewViewTimer(&ctx)
        afterViewChangeVotes(&ctx)
    }

    mutating func onViewChange(_ m: Signed<ViewChange>, _ batches: [B], _ ctx: inout Context<B>) {
        let target = m.body.newView
        if target < state.view || (target == state.view && !state.isChangingView) {
            // A replica still asking for a view we already installed missed the NEW-VIEW.
            if target == state.view, let nv = state.currentNewView {
                ctx.emit(.send(.newView(nv.message, batches: nv.batches), to: m.signer))
            } else {
                state.counters.droppedWrongView += 1
            }
            return
        }
        do throws(PBFTError) {
            try validateViewChange(m.body, batches: batches, requireBatches: true)
        } catch {
            reject("view-change", from: m.signer, "\(error)", &ctx)
            return
        }
        if let previous = state.latestViewChange[m.signer], previous.message.body.newView >= target {
            state.counters.duplicates += 1
            return
        }
        state.latestViewChange[m.signer] = (m, batches)
        for cert in m.body.preparedCertificates { crossCheck(cert, &ctx) }
        let proof = m.body.stableCheckpoint
        if proof.sequence > state.lowWatermark { learnStable(proof, &ctx) }

        // Join rule: f + 1 replicas ask for views above ours → join the smallest of them.
        let higher = state.latestViewChange.values.map(\.message.body.newView).filter {
            $0 > state.view
        }
        if higher.count >= configuration.weakQuorum, let smallest = higher.min() {
            startViewChange(to: smallest, reason: "\(higher.count) replicas asked for views above \(state.view)", &ctx)
            return
        }
        afterViewChangeVotes(&ctx)
    }

    /// With 2f + 1 view changes for our target view: the new primary sends NEW-VIEW, everyone
    /// else starts the timer that bounds the wait for it.
    mutating func afterViewChangeVotes(_ ctx: inout Context<B>) {
        guard state.isChangingView else { return }
        let votes = state.latestViewChange.values.filter { $0.message.body.newView == state.view }
        if votes.count >= quorum && primary(of: state.view) == me {
            sendNewView(&ctx)
        }
        armNewViewTimer(&ctx)
    }

    /// Bounds the wait for a NEW-VIEW once 2f + 1 replicas (us included) asked for our target view
    /// *or a higher one*: if it does not arrive in time we move on with a doubled timeout. The paper
    /// counts only VIEW-CHANGEs for exactly our view; after crashes and partitions some replicas may
    /// already have moved further, and then no replica would ever time out again.
    mutating func armNewViewTimer(_ ctx: inout Context<B>) {
        guard state.isChangingView, !state.viewChangeTimerRunning else { return }
        let leaving = state.latestViewChange.values.filter { $0.message.body.newView >= state.view }.count
        guard leaving >= quorum else { return }
        state.viewChangeTimerRunning = true
        state.watchedRequest = nil
        ctx.emit(.setTimer(.viewChange, afterMilliseconds: state.viewChangeTimeoutMs))
    }

    /// Structural checks on a VIEW-CHANGE (signatures were checked by the verifier).
    func validateViewChange(_ vc: ViewChange, batches: [B], requireBatches: Bool) throws(PBFTError) {
        let proof = vc.stableCheckpoint
        try proof.validateStructure(replicaCount: n, quorum: quorum)
        guard let limit = proof.sequence.adding(configuration.window) else {
            throw .invalidViewChange("checkpoint \(proof.sequence) leaves no room for a window")
        }
        guard vc.preparedCertificates.count <= Int(configuration.window) else {
            throw .invalidViewChange("\(vc.preparedCertificates.count) prepared certificates exceed the window")
        }
        var seqs = Set<SequenceNumber>()
        let attached = Set(batches.map(\.digest))
        for cert in vc.preparedCertificates {
            try cert.validateStructure(replicaCount: n, f: f)
            guard cert.view < vc.newView else {
                throw .invalidViewChange("certificate at \(cert.sequence) is from \(cert.view), not below \(vc.newView)")
            }
            guard cert.sequence > proof.sequence, cert.sequence <= limit else {
                throw .invalidViewChange("certificate at \(cert.sequence) is outside (\(proof.sequence), \(limit)]")
            }
            guard seqs.insert(cert.sequence).inserted else {
                throw .invalidViewChange("two certificates for \(cert.sequence)")
            }
            if requireBatches && cert.digest != B.null.digest && !attached.contains(cert.digest) {
                throw .invalidViewChange("no batch attached for the certificate at \(cert.sequence)")
            }
        }
    }

    /// The O-set computation, exactly as the new primary and every backup perform it:
    /// min-s = the latest stable checkpoint in V; max-s = the highest prepared sequence number;
    /// for each n in (min-s, max-s] the digest of the certificate from the highest view, else null.
    func computeNewViewPlan(_ viewChanges: [Signed<ViewChange>]) -> NewViewPlan {
        var proof = CheckpointProof.genesis
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

    /// A batch with `digest` from the attachments or our log.
    func findBatch(_ digest: Digest, attached: [[B]]) -> B? {
        if digest == B.null.digest { return B.null }
        for list in attached { if let b = list.first(where: { $0.digest == digest }) { return b } }
        for e in state.entries.values {
            if let b = e.batch, b.digest == digest { return b }
            if let b = e.preparedBatch, b.digest == digest { return b }
            if let b = e.committedBatch, b.digest == digest { return b }
        }
        return nil
    }

    /// The new primary: build and send NEW-VIEW(v, V, O), then install it.
    mutating func sendNewView(_ ctx: inout Context<B>) {
        let v = state.view
        if let nv = state.currentNewView, nv.message.body.view == v { return }
        let votes = state.latestViewChange.values
            .filter { $0.message.body.newView == v }
            .sorted { $0.message.signer < $1.message.signer }
        let plan = computeNewViewPlan(votes.map(\.message))
        var prePrepares: [Signed<PrePrepare>] = []
        var batches: [B] = []
        var attachedDigests = Set<Digest>()
        var resolved: [B] = []
        for (seq, digest) in plan.slots {
            guard let batch = findBatch(digest, attached: votes.map(\.batches)) else {
                reject("view-change", from: nil, "no batch for digest \(digest) at \(seq); waiting for more view changes", &ctx)
                return
            }
            resolved.append(batch)
        }
        // Nothing is signed until every batch is at hand, so a retry with more view changes is free to differ.
        for ((seq, digest), batch) in zip(plan.slots, resolved) {
            guard claim(Slot(phase: .prePrepare, view: v, sequence: seq), digest) else {
                reject("new-view", from: me, "we already pre-prepared another digest at (\(v), \(seq))", &ctx)
                return
            }
            prePrepares.append(sign(PrePrepare(view: v, sequence: seq, digest: digest)))
            if !batch.isNull, attachedDigests.insert(digest).inserted { batches.append(batch) }
        }
        let signed = sign(NewView(view: v, viewChanges: votes.map(\.message), prePrepares: prePrepares))
        ctx.emit(.persist(.newView(signed, batches: batches)))
        ctx.emit(.broadcast(.newView(signed, batches: batches)))
        install(signed, batches: batches, plan: plan, &ctx)
    }

    mutating func onNewView(_ m: Signed<NewView>, _ batches: [B], _ ctx: inout Context<B>) {
        let nv = m.body
        let v = nv.view
        guard v > state.view || (v == state.view && state.isChangingView) else {
            state.counters.droppedWrongView += 1
            return
        }
        switch checkNewView(m, batches: batches) {
        case let .failure(error):
            reject("new-view", from: m.signer, "\(error)", &ctx)
            // The primary of our target view signed a NEW-VIEW that does not follow from its own
            // V set: proof that it is faulty (an honest primary's NEW-VIEW checks out at every
            // honest backup — O is recomputed from V alone and every non-null batch is attached).
            // Waiting out the timer would only lengthen the outage, and the wait is not the
            // network's fault, so move on at once without doubling the timeout.
            if v == state.view && state.isChangingView && m.signer == primary(of: v), let next = v.next {
                startViewChange(to: next, reason: "the primary of \(v) sent an invalid NEW-VIEW", &ctx)
                return
            }
            // Otherwise bound the wait for a good one.
            if v == state.view && state.isChangingView && !state.viewChangeTimerRunning {
                state.viewChangeTimerRunning = true
                ctx.emit(.setTimer(.viewChange, afterMilliseconds: state.viewChangeTimeoutMs))
            }
        case let .success((plan, resolved)):
            ctx.emit(.persist(.newView(m, batches: resolved)))
            if !state.isChangingView { endViewPace(&ctx) }  // jumped straight from a working view
            state.view = v
            install(m, batches: resolved, plan: plan, &ctx)
        }
    }

    /// Checks a NEW-VIEW: signed by the primary of its view; 2f + 1 valid VIEW-CHANGEs for
    /// that view from distinct replicas; O equal to what we compute from V; batches for O.
    func checkNewView(_ m: Signed<NewView>, batches: [B]) -> Result<(NewViewPlan, [B]), PBFTError> {
        let nv = m.body
        let v = nv.view
        guard m.signer == primary(of: v) else {
            return .failure(.invalidViewChange("new-view for \(v) signed by \(m.signer), not its primary \(primary(of: v))"))
        }
        var signers = Set<ReplicaID>()
        for vc in nv.viewChanges {
            guard vc.body.newView == v else {
                return .failure(.invalidViewChange("new-view for \(v) holds a view-change for \(vc.body.newView)"))
            }
            do throws(PBFTError) {
                try validateViewChange(vc.body, batches: [], requireBatches: false)
            } catch {
                return .failure(error)
            }
            signers.insert(vc.signer)
        }
        guard signers.count >= quorum, signers.count == nv.viewChanges.count else {
            return .failure(.invalidViewChange("new-view for \(v) has \(signers.count) distinct view-changes (\(nv.viewChanges.count) entries); \(quorum) needed"))
        }
        let plan = computeNewViewPlan(nv.viewChanges)
        guard plan.slots.count == nv.prePrepares.count else {
            return .failure(.invalidViewChange("O has \(nv.prePrepares.count) pre-prepares; recomputed \(plan.slots.count)"))
        }
        var resolved: [B] = []
        for ((seq, digest), pp) in zip(plan.slots, nv.prePrepares) {
            guard pp.signer == m.signer, pp.body.view == v, pp.body.sequence == seq, pp.body.digest == digest else {
                return .failure(.invalidViewChange("O entry at \(pp.body.sequence) differs from the recomputed (\(v), \(seq), \(digest))"))
            }
            guard let b = findBatch(digest, attached: [batches]) else {
                return .failure(.invalidViewChange("no batch for the O entry at \(seq)"))
            }
            if !b.isNull, !resolved.contains(where: { $0.digest == digest }) { resolved.append(b) }
        }
        return .success((plan, resolved))
    }

    /// Enters the new view: adopt min-s, re-issue O in the new view, prepare it (backups).
    mutating func install(_ m: Signed<NewView>, batches: [B], plan: NewViewPlan, _ ctx: inout Context<B>) {
        let v = m.body.view
        state.view = v
        state.isChangingView = false
        state.currentNewView = (m, batches)
        state.counters.newViewsInstalled += 1
        state.latestViewChange = state.latestViewChange.filter { $0.value.message.body.newView > v }
        if state.viewChangeTimerRunning { state.viewChangeTimerRunning = false; ctx.emit(.cancelTimer(.viewChange)) }
        state.inFlight.removeAll()
        state.proposeCursor = state.pendingHead
        // We never sign in an older view again: forget those slots (the persisted log keeps them).
        state.signedSlots = state.signedSlots.filter { $0.key.view.map { $0 >= v } ?? true }
        ctx.emit(.note(.newViewInstalled(view: v, minS: plan.checkpoint.sequence, maxS: plan.maxS)))

        if plan.checkpoint.sequence > state.lowWatermark {
            if state.lastCommitted >= plan.checkpoint.sequence {
                makeStable(plan.checkpoint, &ctx)
            } else {
                state.pendingStableProof = plan.checkpoint
                // min-s is stable (2f+1 proof) and we will reach it by state transfer: drop our
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
            e.batch = findBatch(digest, attached: [batches])
            e.acceptedAtMs = ctx.now
            // Re-proposed requests are in flight: the new primary must not batch them again.
            for r in e.batch?.requests ?? [] { state.inFlight.insert(r.requestDigest) }
            state.entries[seq] = e
        }
        // Never re-assign a sequence number we already committed (defensive: O covers them when
        // every replica's prepared certificates survived).
        state.nextSequence = max(plan.maxS, state.lowWatermark, state.lastCommitted)
        for (seq, _) in plan.slots where seq > state.lowWatermark {
            sendPrepare(seq, &ctx)
            checkPrepared(seq, &ctx)
        }
        commitInOrder(&ctx)
        beginViewPace(&ctx)
        if isPrimary { tryPropose(&ctx) } else { ensureViewChangeTimer(&ctx) }
    }
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
