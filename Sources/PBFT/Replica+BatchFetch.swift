import LedgerCore
import LedgerCrypto

/// Fetching the batches a view change needs (VIEW-CHANGE and NEW-VIEW name them by digest):
/// asking holders round robin, serving peers' fetches at most once per batch and interval, and
/// retrying what waited for a batch once it arrives.
extension Replica {
    /// Asks for the batches with `digests` (those not asked for already): each from the first
    /// of its `sources`; the retransmission timer asks the next source for what is still missing.
    mutating func want(_ digests: [Digest], for view: View, sources: (Digest) -> [ReplicaID], _ ctx: inout Context<B>) {
        var ask: [ReplicaID: [Digest]] = [:]
        for digest in digests where state.fetch.wanted[digest] == nil && digest != B.null.digest {
            guard state.fetch.wanted.count < 2 * Int(configuration.window) + PBFTLimits.maxFetchDigests else { break }
            var holders: [ReplicaID] = []
            for r in sources(digest) where r != me && !holders.contains(r) { holders.append(r) }
            if holders.isEmpty { holders = (0..<n).map(ReplicaID.init).filter { $0 != me } }
            state.fetch.wanted[digest] = WantedBatch(sources: holders, asked: 1)
            ask[holders[0], default: []].append(digest)
        }
        sendFetches(ask, for: view, &ctx)
    }

    /// On the retransmission timer: ask the next source for every batch still wanted.
    mutating func refetchWantedBatches(_ ctx: inout Context<B>) {
        guard !state.fetch.wanted.isEmpty else { return }
        var ask: [ReplicaID: [Digest]] = [:]
        for digest in state.fetch.wanted.keys.sorted() {
            guard var w = state.fetch.wanted[digest], !w.sources.isEmpty else { continue }
            ask[w.sources[w.asked % w.sources.count], default: []].append(digest)
            w.asked &+= 1
            state.fetch.wanted[digest] = w
        }
        sendFetches(ask, for: state.view, &ctx)
    }

    private mutating func sendFetches(_ ask: [ReplicaID: [Digest]], for view: View, _ ctx: inout Context<B>) {
        for source in ask.keys.sorted() {
            let digests = ask[source] ?? []
            var start = 0
            while start < digests.count {
                let end = min(start + PBFTLimits.maxFetchDigests, digests.count)
                ctx.emit(.send(.batchFetch(sign(BatchFetch(view: view, digests: Array(digests[start..<end])))), to: source))
                start = end
            }
        }
    }

    /// A peer's BATCH-FETCH: send each batch we hold, one message per batch, but a given batch
    /// to a given peer at most once per retransmission interval. An honest replica asks again only
    /// on its retransmission timer (and then another holder); a faulty one repeating its fetches
    /// cannot make us send the same batches over and over.
    mutating func onBatchFetch(_ m: Signed<BatchFetch>, _ ctx: inout Context<B>) {
        let peer = m.signer
        let interval = configuration.retransmitIntervalMs
        var served = (state.fetch.servedAtMs[peer] ?? [:]).filter { ctx.now < $0.value || ctx.now - $0.value < interval }
        let index = batchesAtHand()
        for digest in m.body.digests {
            if served[digest] != nil {
                state.counters.fetchesRefusedAsRepeats += 1
                continue
            }
            guard let b = index[digest] else { continue }
            served[digest] = ctx.now
            state.counters.batchesServed += 1
            ctx.emit(.send(.fetchedBatch(b), to: peer))
        }
        state.fetch.servedAtMs[peer] = served.isEmpty ? nil : served
    }

    /// A batch answering one of our fetches: keep it if we asked for its digest, then retry
    /// whatever waited for it (our NEW-VIEW as the new primary, or a pending NEW-VIEW).
    mutating func onFetchedBatch(_ batch: B, _ ctx: inout Context<B>) {
        guard state.fetch.wanted.removeValue(forKey: batch.digest) != nil else {
            state.counters.unwantedBatches += 1
            return
        }
        state.fetch.fetched[batch.digest] = batch
        state.counters.batchesFetched += 1
        if let pending = state.viewChange.pendingNewView {
            state.viewChange.pendingNewView = nil  // set again if it still lacks batches
            onNewView(pending, &ctx)
        } else if state.isChangingView && primary(of: state.view) == me {
            afterViewChangeVotes(&ctx)
        }
    }
}
