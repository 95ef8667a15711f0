import LedgerCore
import LedgerCrypto

/// Limits on what a replica sends a peer in answer to that peer's own messages.
///
/// A STATUS costs its signer one small message and can make a replica send it a NEW-VIEW, a
/// VIEW-CHANGE, a stable checkpoint's proof and up to `PBFTLimits.maxCatchUpBatchesPerStatus`
/// committed batches; a VIEW-CHANGE for a view already installed makes it re-send the NEW-VIEW.
/// An honest peer sends one of each per retransmission interval, so a replica answers each
/// peer at most `PBFTLimits.repliesPerPeerPerRetransmitInterval` times per interval and counts
/// what it left unanswered. BATCH-FETCH has its own per-digest limit (`onBatchFetch`).
///
/// Answers go to the message's signer. The driver accepts these kinds only on the signer's own
/// link (`Message.mustArriveFromSigner`), so a replayed copy cannot aim them at someone else.
extension Replica {
    /// Whether `peer` may be answered now from the limit kept in `table`; records the answer
    /// when it may.
    mutating func mayAnswer(_ peer: ReplicaID, in table: WritableKeyPath<ReplicaState<B>, [ReplicaID: UInt64]>,
                            _ ctx: inout Context<B>) -> Bool {
        let spacing = configuration.replySpacingMs
        if spacing > 0, let last = state[keyPath: table][peer], ctx.now >= last, ctx.now - last < spacing { return false }
        state[keyPath: table][peer] = ctx.now
        return true
    }
}
