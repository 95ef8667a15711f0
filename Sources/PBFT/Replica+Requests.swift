import LedgerCore
import LedgerCrypto

/// Pending client requests and the primary's batching.
extension Replica {
    mutating func addRequests(_ requests: [B.Request], _ ctx: inout Context<B>) {
        for r in requests {
            let d = r.requestDigest
            if state.queue.pending[d] != nil || state.queue.recentlyExecuted.contains(d) { continue }
            guard r.encodedByteCount + B.headerByteCount <= configuration.maxBatchBytes else { state.counters.rejected += 1; continue }
            guard state.queue.pending.count < configuration.maxPendingRequests else {
                state.counters.requestsDroppedQueueFull += 1
                continue
            }
            state.queue.pending[d] = r
            state.queue.arrivedAtMs[d] = ctx.now
            state.queue.order.append(d)
            state.queue.largestRequestBytes = max(state.queue.largestRequestBytes, r.encodedByteCount)
        }
        // Keep the FIFO index bounded even if an old request stays pending for long.
        if state.queue.order.count > 2 * state.queue.pending.count + 1_024 {
            // Requests before the relay cursor stay before it: none is relayed twice in a view.
            let relayedKept = state.queue.order[..<min(state.queue.relayCursor, state.queue.order.count)]
                .filter { state.queue.pending[$0] != nil }.count
            state.queue.order = state.queue.order.filter { state.queue.pending[$0] != nil }
            state.queue.head = 0
            state.queue.proposeCursor = 0
            state.queue.relayCursor = relayedKept
        }
        if isPrimary && !state.isChangingView {
            tryPropose(&ctx)
        } else {
            ensureViewChangeTimer(&ctx)
            ensurePaceTimer(&ctx)
            ensureRelayTimer(&ctx)
        }
    }

    /// Marks as in flight every request in a batch the log holds above the executed height: ordered
    /// already, so a primary never proposes one again when a client's retry or gossip brings it
    /// back (after a restart emptied the queue, or a view change kept a committed slot).
    mutating func markLoggedRequestsInFlight() {
        for (seq, e) in state.entries where seq > state.lastCommitted {
            for b in [e.batch, e.committedBatch] {
                for r in b?.requests ?? [] { state.queue.inFlight.insert(r.requestDigest) }
            }
        }
    }

    /// Removes a committed batch's requests from the queue and remembers them (bounded).
    mutating func forgetRequests(in batch: B) {
        forgetRequests(batch.requests.map(\.requestDigest))
    }

    mutating func forgetRequests(_ digests: [Digest]) {
        for d in digests {
            state.queue.pending.removeValue(forKey: d)
            state.queue.arrivedAtMs.removeValue(forKey: d)
            state.queue.inFlight.remove(d)
            if state.queue.recentlyExecuted.insert(d).inserted {
                state.queue.recentlyExecutedOrder.append(d)
                if state.queue.recentlyExecuted.count > PBFTLimits.recentlyExecutedRequestMemory {
                    let old = state.queue.recentlyExecutedOrder[state.queue.recentlyExecutedHead]
                    state.queue.recentlyExecuted.remove(old)
                    state.queue.recentlyExecutedHead += 1
                }
            }
        }
        if state.queue.recentlyExecutedHead > 1024 && state.queue.recentlyExecutedHead * 2 > state.queue.recentlyExecutedOrder.count {
            state.queue.recentlyExecutedOrder.removeFirst(state.queue.recentlyExecutedHead)
            state.queue.recentlyExecutedHead = 0
        }
        compactPendingOrder()
    }

    mutating func compactPendingOrder() {
        while state.queue.head < state.queue.order.count, state.queue.pending[state.queue.order[state.queue.head]] == nil {
            state.queue.head += 1
        }
        state.queue.proposeCursor = max(state.queue.proposeCursor, state.queue.head)
        state.queue.relayCursor = max(state.queue.relayCursor, state.queue.head)
        if state.queue.head > 1024 && state.queue.head * 2 > state.queue.order.count {
            state.queue.order.removeFirst(state.queue.head)
            state.queue.proposeCursor -= state.queue.head
            state.queue.relayCursor -= state.queue.head
            state.queue.head = 0
        }
    }

    /// The primary proposes as many full batches as the window allows. A batch that is not full
    /// goes out when
    /// - nothing the primary proposed is uncommitted, or what is uncommitted carries less than
    ///   `1 / PBFTLimits.lightPipelineShareOfBatch` of a full batch (a light pipeline sends a request
    ///   at once, so latency at light load is the message delays alone), or
    /// - the batch delay has passed since it began holding a request and fewer than
    ///   `partialBatchDepth` of its proposals are uncommitted, or
    /// - it has held a request for `maxBatchHoldMs`, whatever the depth.
    ///
    /// The depth rule is what makes batches grow with the load: while a batch commits, new
    /// requests gather into the next one, and a busier (slower) network commits less often with
    /// bigger batches instead of keeping many small ones in flight, each paying the per-batch
    /// costs (signatures, log writes, one block's index pages). The hold limit keeps an honest
    /// primary far below the backups' pace bound however slow commits get.
    mutating func tryPropose(_ ctx: inout Context<B>) {
        guard isPrimary, !state.isChangingView, state.stateTransferTarget == nil, !state.isProposing else { return }
        state.isProposing = true
        defer { state.isProposing = false }
        while true {
            guard let next = state.nextSequence.adding(1), inWindow(next), !isBeyondEpoch(next) else { break }
            // Skip the prefix that is in flight or gone (the cursor only moves forward).
            while state.queue.proposeCursor < state.queue.order.count {
                let d = state.queue.order[state.queue.proposeCursor]
                if state.queue.pending.index(forKey: d) != nil && !state.queue.inFlight.contains(d) { break }
                state.queue.proposeCursor += 1
            }
            let candidates = state.queue.order.count - state.queue.proposeCursor
            guard candidates > 0 else {
                state.timers.batchHoldStartMs = nil
                break
            }
            // While the primary holds a batch that cannot be full, every new request would
            // otherwise gather the whole batch again just to find it is not due (a quadratic
            // cost under load). Fewer candidates than a full batch's count, each no larger than
            // the largest request seen, cannot fill it.
            let (boundBytes, overflow) = candidates.multipliedReportingOverflow(by: state.queue.largestRequestBytes)
            let mayBeFull = candidates >= configuration.maxBatchTxs || overflow
                || boundBytes > configuration.maxBatchBytes - B.headerByteCount
            if !mayBeFull && !holdIsDue(&ctx) { return }
            let (chosen, full) = chooseBatch()
            guard !chosen.isEmpty else {
                state.timers.batchHoldStartMs = nil
                break
            }
            if !full {
                guard holdIsDue(&ctx) else { return }
                // This batch takes every unproposed request (but a conflicting one of a lane, which
                // starts a new hold), so nothing is held after it.
                state.timers.batchHoldStartMs = nil
            }
            propose(chosen, at: next, &ctx)
        }
    }

    /// The next batch from the unproposed requests, and whether it is full (a bound was reached,
    /// or more requests wait than were looked at).
    ///
    /// Fair across lanes (senders): among the first `fairBatchWindowBatches` batches' worth of
    /// unproposed requests, lanes are taken in the order of their oldest request, one request
    /// each per round, each lane in `laneOrder` (nonce order), until the batch is full. A lane
    /// never gives two requests with the same `laneOrder` to one batch (a conflicting pair: the
    /// later one waits for a later batch, where it fails at execution). A busy lane therefore
    /// gets one place per round while every other lane also gets one, and the oldest request's
    /// lane is always served first, so the pace check's oldest waiting request is still ordered
    /// in the next batch. Looking at a bounded window keeps this O(batch).
    private func chooseBatch() -> (requests: [B.Request], isFull: Bool) {
        let (windowCount, overflow) = configuration.maxBatchTxs.multipliedReportingOverflow(by: PBFTLimits.fairBatchWindowBatches)
        let window = overflow ? Int.max : windowCount
        var laneIndex: [B.Request.Lane: Int] = [:]
        var lanes: [[(request: B.Request, arrival: Int)]] = []
        var looked = Set<Digest>(minimumCapacity: min(window, state.queue.order.count - state.queue.proposeCursor))
        var cursor = state.queue.proposeCursor
        while cursor < state.queue.order.count, looked.count < window {
            let d = state.queue.order[cursor]
            cursor += 1
            guard let r = state.queue.pending[d], !state.queue.inFlight.contains(d), looked.insert(d).inserted else { continue }
            if let i = laneIndex[r.lane] {
                lanes[i].append((r, looked.count))
            } else {
                laneIndex[r.lane] = lanes.count
                lanes.append([(r, looked.count)])
            }
        }
        // Arrival order within a lane is usually nonce order already; sort only where it is not.
        for i in lanes.indices where !zip(lanes[i], lanes[i].dropFirst()).allSatisfy({ $0.request.laneOrder <= $1.request.laneOrder }) {
            lanes[i].sort(by: Self.laneOrder)
        }
        var chosen: [B.Request] = []
        chosen.reserveCapacity(min(looked.count, configuration.maxBatchTxs))
        var bytes = B.headerByteCount
        var next = [Int](repeating: 0, count: lanes.count)
        var lastTaken = [UInt64?](repeating: nil, count: lanes.count)
        var active = Array(lanes.indices)
        while !active.isEmpty {
            var stillActive: [Int] = []
            stillActive.reserveCapacity(active.count)
            for l in active {
                while next[l] < lanes[l].count, let last = lastTaken[l], lanes[l][next[l]].request.laneOrder == last { next[l] += 1 }
                guard next[l] < lanes[l].count else { continue }
                let r = lanes[l][next[l]].request
                if chosen.count >= configuration.maxBatchTxs || bytes + r.encodedByteCount > configuration.maxBatchBytes {
                    return (chosen, true)
                }
                chosen.append(r)
                bytes += r.encodedByteCount
                lastTaken[l] = r.laneOrder
                next[l] += 1
                if next[l] < lanes[l].count { stillActive.append(l) }
            }
            active = stillActive
        }
        let moreWaiting = looked.count >= window && cursor < state.queue.order.count
        return (chosen, chosen.count >= configuration.maxBatchTxs || moreWaiting)
    }

    private static func laneOrder(_ a: (request: B.Request, arrival: Int), _ b: (request: B.Request, arrival: Int)) -> Bool {
        (a.request.laneOrder, a.arrival) < (b.request.laneOrder, b.arrival)
    }

    /// For a batch that is not full: starts the hold if it has not started, and says whether
    /// one of the rules above lets the batch go now; if not, arms the batch timer for the next
    /// moment one could.
    private mutating func holdIsDue(_ ctx: inout Context<B>) -> Bool {
        let holdStart = state.timers.batchHoldStartMs ?? ctx.now
        state.timers.batchHoldStartMs = holdStart
        let held = ctx.now >= holdStart ? ctx.now - holdStart : 0
        let uncommitted = state.nextSequence > state.lastCommitted ? state.nextSequence.rawValue - state.lastCommitted.rawValue : 0
        let depthFree = uncommitted < UInt64(configuration.partialBatchDepth)
        let due = uncommitted == 0 || carriesLittle(uncommitted) || held >= configuration.maxBatchHoldMs
            || (depthFree && held >= configuration.batchDelayMs)
        if !due {
            // Wake at the next moment a rule could fire; a commit wakes us sooner.
            let wait = depthFree ? configuration.batchDelayMs : configuration.maxBatchHoldMs
            let (at, overflow) = holdStart.addingReportingOverflow(wait)
            armBatchTimer(due: overflow ? UInt64.max : at, &ctx)
        }
        return due
    }

    /// Whether the primary's uncommitted proposals (the last `uncommitted` sequence numbers) hold fewer than
    /// `lightPipelineShare` of a full batch: the pipeline is light, per-batch costs do not matter, and making a
    /// request wait for a commit round would only add latency (on links with tens of milliseconds of delay, half a
    /// round on average: decision 0020, issue 30's light-load target).
    private func carriesLittle(_ uncommitted: UInt64) -> Bool {
        let light = max(1, configuration.maxBatchTxs / PBFTLimits.lightPipelineShareOfBatch)
        var carried = 0
        var seq = state.nextSequence
        for _ in 0..<min(uncommitted, UInt64(light)) {
            carried += state.entries[seq]?.batch?.requestCount ?? 0
            if carried >= light { return false }
            guard let below = seq.rawValue > 0 ? SequenceNumber(seq.rawValue - 1) : nil else { break }
            seq = below
        }
        return uncommitted <= UInt64(light)
    }

    /// Arms the batch timer for `due` (re-arms it if it was set for another time).
    private mutating func armBatchTimer(due: UInt64, _ ctx: inout Context<B>) {
        if state.timers.batchTimerRunning && state.timers.batchTimerDueMs == due { return }
        state.timers.batchTimerRunning = true
        state.timers.batchTimerDueMs = due
        ctx.emit(.setTimer(.batch, afterMilliseconds: due > ctx.now ? due - ctx.now : 1))
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
        for r in requests { state.queue.inFlight.insert(r.requestDigest) }
        ctx.emit(.persist(.prePrepare(signed, batch: batch)))
        ctx.emit(.broadcast(.prePrepare(signed, batch: batch)))
        checkPrepared(seq, &ctx)
    }
}
