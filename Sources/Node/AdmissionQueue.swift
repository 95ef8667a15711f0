import LedgerCore
import Synchronization

/// Gathers transactions on their way into the driver's mempool and hands them over in groups.
///
/// Every submission used to make its own call into the driver actor, its own account read and its
/// own gossip frame, and those per-transaction costs — not signature checks — bounded admission.
/// Callers (RPC requests, peer workers) verify signatures first, on their own tasks, then `admit`
/// here and wait for their results (peer workers `enqueue` gossip without waiting while the queue
/// is short); a caller that finds the queue idle starts one drain task, which
/// hands everything queued so far to `ConsensusDriver.admit` in one call and repeats until the
/// queue is empty (so under load each call carries what arrived during the previous one). Arrival order is kept,
/// so one client's consecutive nonces reach the replica in order. Bounded: past
/// `NodeLimits.admissionQueueCapacity` waiting transactions a submission is refused at once.
final class AdmissionQueue: Sendable {
    private struct Waiting {
        var transaction: Transaction
        var fromClient: Bool
        var group: Int
    }

    private struct State {
        var waiting: [Waiting] = []
        var isDraining = false
        var nextGroup = 0
        /// Results of groups whose transactions were handed over, by group id.
        var continuations: [Int: CheckedContinuation<[MempoolRejection?], Never>] = [:]
        var results: [Int: [MempoolRejection?]] = [:]
        /// Groups nobody waits for (`enqueue`): their results are dropped.
        var detached: Set<Int> = []
    }

    private let driver: ConsensusDriver
    private let state = Mutex(State())

    /// A queue feeding `driver`.
    init(driver: ConsensusDriver) { self.driver = driver }

    /// Queues `txs` (signatures already verified) for admission behind everything queued so far
    /// and returns at once, without their results; `false` (nothing queued) when the queue already
    /// holds one driver call's worth (`admissionBatchMax`), so that a caller that can wait does
    /// (`admit`): the queue stays short, and a client's submission never waits behind more than
    /// about two driver calls of gossip. For gossip: a peer's lane that waited for each frame's
    /// admission spent three quarters of its time waiting at 80 % of the peak, fell behind its
    /// peer, and the primary then learned of backups' requests up to a second late.
    func enqueue(_ txs: [Transaction], fromClient: Bool) -> Bool {
        guard !txs.isEmpty else { return true }
        let (queued, drains) = state.withLock { s -> (Bool, Bool) in
            guard s.waiting.count + txs.count <= NodeLimits.admissionBatchMax else { return (false, false) }
            let group = s.nextGroup
            s.nextGroup &+= 1
            s.detached.insert(group)
            for tx in txs { s.waiting.append(Waiting(transaction: tx, fromClient: fromClient, group: group)) }
            let drains = !s.isDraining
            s.isDraining = true
            return (true, drains)
        }
        if drains { Task { await self.drain() } }
        return queued
    }

    /// Admits `txs` (signatures already verified) in order; one result per transaction, `nil` = admitted.
    func admit(_ txs: [Transaction], fromClient: Bool) async -> [MempoolRejection?] {
        guard !txs.isEmpty else { return [] }
        let (group, drains) = state.withLock { s -> (Int?, Bool) in
            guard s.waiting.count + txs.count <= NodeLimits.admissionQueueCapacity else { return (nil, false) }
            let group = s.nextGroup
            s.nextGroup &+= 1
            for tx in txs { s.waiting.append(Waiting(transaction: tx, fromClient: fromClient, group: group)) }
            let drains = !s.isDraining
            s.isDraining = true
            return (group, drains)
        }
        guard let group else {
            return Array(repeating: .full(capacity: NodeLimits.admissionQueueCapacity), count: txs.count)
        }
        if drains { Task { await self.drain() } }
        return await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> [MempoolRejection?]? in
                if let r = s.results.removeValue(forKey: group) { return r }
                s.continuations[group] = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Hands queued transactions to the driver until none are left.
    private func drain() async {
        while true {
            let taken = state.withLock { s -> [Waiting] in
                guard !s.waiting.isEmpty else {
                    s.isDraining = false
                    return []
                }
                // Take whole groups only, up to the batch bound (a larger single group goes alone).
                var end = 0
                while end < s.waiting.count {
                    let g = s.waiting[end].group
                    var groupEnd = end
                    while groupEnd < s.waiting.count, s.waiting[groupEnd].group == g { groupEnd += 1 }
                    if end > 0 && groupEnd > NodeLimits.admissionBatchMax { break }
                    end = groupEnd
                }
                let taken = Array(s.waiting[..<end])
                s.waiting.removeFirst(end)
                return taken
            }
            guard !taken.isEmpty else { return }
            // Client and gossip transactions keep their order; each run of one origin is one call.
            var outcomes: [MempoolRejection?] = []
            outcomes.reserveCapacity(taken.count)
            var start = 0
            while start < taken.count {
                var end = start + 1
                while end < taken.count, taken[end].fromClient == taken[start].fromClient { end += 1 }
                outcomes += await driver.admit(taken[start..<end].map(\.transaction), fromClient: taken[start].fromClient)
                start = end
            }
            var byGroup: [Int: [MempoolRejection?]] = [:]
            for (w, outcome) in zip(taken, outcomes) { byGroup[w.group, default: []].append(outcome) }
            let wake = state.withLock { s -> [(CheckedContinuation<[MempoolRejection?], Never>, [MempoolRejection?])] in
                var wake: [(CheckedContinuation<[MempoolRejection?], Never>, [MempoolRejection?])] = []
                for (g, r) in byGroup {
                    if s.detached.remove(g) != nil { continue }
                    if let c = s.continuations.removeValue(forKey: g) { wake.append((c, r)) } else { s.results[g] = r }
                }
                return wake
            }
            for (c, r) in wake { c.resume(returning: r) }
        }
    }
}
