/// Pending client requests and the primary's batching.
extension Replica {
    mutating func addRequests(_ requests: [B.Request], _ ctx: inout Context<B>) {
        for r in requests {
            let d = r.requestDigest
            if state.pending[d] != nil || state.recentlyExecuted.contains(d) { continue }
            guard r.encodedByteCount + B.headerByteCount <= configuration.maxBatchBytes else { state.counters.rejected += 1; continue }
            guard state.pending.count < configuration.maxPendingRequests else {
                state.counters.requestsDroppedQueueFull += 1
                continue
            }
            state.pending[d] = r
            state.pendingSinceMs[d] = ctx.now
            state.pendingOrder.append(d)
        }
        // Keep the FIFO index bounded even if an old request stays pending for long.
        if state.pendingOrder.count > 2 * state.pending.count + 1_024 {
            state.pendingOrder = state.pendingOrder.filter { state.pending[$0] != nil }
            state.pendingHead = 0
            state.proposeCursor = 0
        }
        if isPrimary && !state.isChangingView {
            tryPropose(&ctx)
        } else {
            ensureViewChangeTimer(&ctx)
            ensurePaceTimer(&ctx)
        }
    }

    /// Removes a committed batch's requests from the queue and remembers them (bounded).
    mutating func forgetRequests(in batch: B) {
        forgetRequests(batch.requests.map(\.requestDigest))
    }

    mutating func forgetRequests(_ digests: [Digest]) {
        for d in digests {
            state.pending.removeValue(forKey: d)
            state.pendingSinceMs.removeValue(forKey: d)
            state.inFlight.remove(d)
            if state.recentlyExecuted.insert(d).inserted {
                state.recentlyExecutedOrder.append(d)
                if state.recentlyExecuted.count > PBFTLimits.recentlyExecutedRequestMemory {
                    let old = state.recentlyExecutedOrder[state.recentlyExecutedHead]
                    state.recentlyExecuted.remove(old)
                    state.recentlyExecutedHead += 1
                }
            }
        }
        if state.recentlyExecutedHead > 1024 && state.recentlyExecutedHead * 2 > state.recentlyExecutedOrder.count {
            state.recentlyExecutedOrder.removeFirst(state.recentlyExecutedHead)
            state.recentlyExecutedHead = 0
        }
        compactPendingOrder()
    }

    mutating func compactPendingOrder() {
        while state.pendingHead < state.pendingOrder.count, state.pending[state.pendingOrder[state.pendingHead]] == nil {
            state.pendingHead += 1
        }
        state.proposeCursor = max(state.proposeCursor, state.pendingHead)
        if state.pendingHead > 1024 && state.pendingHead * 2 > state.pendingOrder.count {
            state.pendingOrder.removeFirst(state.pendingHead)
            state.proposeCursor -= state.pendingHead
            state.pendingHead = 0
        }
    }

    /// The primary proposes as many full batches as the window allows, and a partial one when
    /// the batch delay has passed (`force`) or when nothing it proposed is still uncommitted.
    ///
    /// The last rule is what keeps latency low at low load without giving up batching at high
    /// load: an idle pipeline sends a request at once instead of holding it for the batch delay,
    /// and while a batch is in flight new requests gather into the next one (so batches grow with
    /// the load and the commit round trip, as in BFT-SMaRt's proposer).
    mutating func tryPropose(_ ctx: inout Context<B>, force: Bool = false) {
        guard isPrimary, !state.isChangingView, state.stateTransferTarget == nil, !state.isProposing else { return }
        state.isProposing = true
        defer { state.isProposing = false }
        var forced = force || state.nextSequence <= state.lastCommitted
        while true {
            guard let next = state.nextSequence.adding(1), inWindow(next) else { break }
            var chosen: [B.Request] = []
            var chosenDigests = Set<Digest>()
            var bytes = B.headerByteCount
            var cursor = state.proposeCursor
            var full = false
            while cursor < state.pendingOrder.count {
                let d = state.pendingOrder[cursor]
                guard let r = state.pending[d], !state.inFlight.contains(d), !chosenDigests.contains(d) else {
                    if chosen.isEmpty { state.proposeCursor = cursor + 1 }
                    cursor += 1
                    continue
                }
                if chosen.count >= configuration.maxBatchTxs || bytes + r.encodedByteCount > configuration.maxBatchBytes {
                    full = true
                    break
                }
                chosen.append(r)
                chosenDigests.insert(d)
                bytes += r.encodedByteCount
                cursor += 1
            }
            if chosen.count >= configuration.maxBatchTxs { full = true }
            guard !chosen.isEmpty else { break }
            guard full || forced else {
                if !state.batchTimerRunning {
                    state.batchTimerRunning = true
                    ctx.emit(.setTimer(.batch, afterMilliseconds: configuration.batchDelayMs))
                }
                return
            }
            forced = false
            propose(chosen, at: next, &ctx)
        }
    }

    mutating func propose(_ requests: [B.Request], at seq: SequenceNumber, _ ctx: inout Context<B>) {
        let floor = max(timestampFloor(below: seq), state.lastProposedTimestampMs)
        let ts = max(ctx.now, floor &+ 1)
        let batch = B.make(view: state.view, timestampMilliseconds: ts, requests: requests)
        let body = PrePrepare(view: state.view, sequence: seq, digest: batch.digest)
        state.nextSequence = seq
        guard claim(Slot(phase: .prePrepare, view: body.view, sequence: seq), body.digest) else { return }
        let signed = sign(body)
        var e = entry(seq)
        e.prePrepare = signed
        e.batch = batch
        e.acceptedAtMs = ctx.now
        state.entries[seq] = e
        state.lastProposedTimestampMs = ts
        for r in requests { state.inFlight.insert(r.requestDigest) }
        ctx.emit(.persist(.prePrepare(signed, batch: batch)))
        ctx.emit(.broadcast(.prePrepare(signed, batch: batch)))
        checkPrepared(seq, &ctx)
    }
}
