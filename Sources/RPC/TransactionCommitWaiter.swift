import LedgerCore
import LedgerCrypto
import LedgerJSON

/// `broadcast_tx_commit`: admit (idempotently), then wait — bounded — until the transaction's block is applied.
///
/// The block feed is opened before submitting, so a commit racing the submission is not missed; a gap in the feed
/// (its buffer dropped blocks) or its end makes the waiter look the hash up in the store instead.
struct TransactionCommitWaiter {
    let backend: any RPCBackend
    let waiters: CommitWaiterCount

    private enum Outcome: Sendable {
        case included(TransactionLookup)
        case timedOut
    }

    func submitAndWait(_ encoded: [UInt8], timeoutMs: UInt64) async throws(RPCError) -> JSONValue {
        guard waiters.acquire() else {
            throw .limitExceeded(reason: "too_many_waiters", limit: RPCLimits.maxCommitWaiters,
                                 message: "\(RPCLimits.maxCommitWaiters) broadcast_tx_commit calls are already waiting; use broadcast_tx_sync and poll `tx`")
        }
        defer { waiters.release() }
        let feed = backend.subscribeBlocks(buffer: RPCLimits.eventBufferPerSubscription)
        defer { feed.cancel() }
        let hash = try await backend.submitTransaction(encoded)
        let known = try await backend.transaction(hash: hash)
        if known.status == .committed || known.status == .failed {
            return RPCEncoding.encodeCommitResult(known)
        }
        let backend = self.backend
        let start = ContinuousClock.now
        let outcome = await withTaskGroup(of: Outcome?.self) { group -> Outcome in
            group.addTask {
                var next: UInt64? = nil
                for await block in feed.blocks {
                    if let i = block.transactions.firstIndex(where: { $0.hash == hash }),
                       let found = TransactionLookup.included(in: block, at: i) {
                        return .included(found)
                    }
                    if let expected = next, block.height.rawValue != expected {
                        // Missed blocks: the store knows.
                        if let found = try? await backend.transaction(hash: hash),
                           found.status == .committed || found.status == .failed {
                            return .included(found)
                        }
                    }
                    next = block.height.rawValue &+ 1
                }
                return nil  // feed ended (cancelled or node stopping)
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))
                return .timedOut
            }
            var result: Outcome = .timedOut
            for await r in group {
                if let r { result = r; break }
            }
            group.cancelAll()
            return result
        }
        switch outcome {
        case let .included(found):
            return RPCEncoding.encodeCommitResult(found)
        case .timedOut:
            // One last look: it may have committed while the feed lagged.
            if let found = try? await backend.transaction(hash: hash), found.status == .committed || found.status == .failed {
                return RPCEncoding.encodeCommitResult(found)
            }
            let waited = start.duration(to: .now)
            let ms = UInt64(max(0, waited.components.seconds)) * 1000 + UInt64(waited.components.attoseconds / 1_000_000_000_000_000)
            throw .timeout(hash: hash.hex, waitedMs: ms)
        }
    }
}
