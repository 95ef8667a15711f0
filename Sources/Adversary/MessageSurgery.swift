import LedgerCore
import LedgerCrypto
import PBFT

/// Edits of whole messages the strategies share: corrupting or re-attributing the outer
/// signature without touching the body.
enum MessageSurgery {
    /// `signature` with its first byte flipped: never valid for the same bytes.
    static func corrupted(_ signature: Signature) -> Signature {
        var bytes = signature.bytes
        bytes[0] ^= 0xff
        // 64 bytes stay 64 bytes.
        return try! Signature(bytes: bytes)
    }

    /// `message` with its outer signature corrupted (committed and fetched batches pass
    /// unchanged: they carry no outer signature).
    static func withCorruptSignature(_ message: LedgerMessage) -> LedgerMessage {
        func bad<Body>(_ s: Signed<Body>) -> Signed<Body> {
            Signed(body: s.body, epoch: s.epoch, signer: s.signer, signature: corrupted(s.signature))
        }
        switch message {
        case let .prePrepare(s, batch): return .prePrepare(bad(s), batch: batch)
        case let .prepare(s): return .prepare(bad(s))
        case let .commit(s): return .commit(bad(s))
        case let .checkpoint(s): return .checkpoint(bad(s))
        case let .viewChange(s): return .viewChange(bad(s))
        case let .newView(s): return .newView(bad(s))
        case let .status(s): return .status(bad(s))
        case let .batchFetch(s): return .batchFetch(bad(s))
        case .committedBatch, .fetchedBatch: return message
        }
    }

    /// `message` re-signed with the sender's own key but claiming `claimed` as the signer.
    static func forged(_ message: LedgerMessage, claiming claimed: ReplicaID, context: AdversaryContext) -> LedgerMessage {
        switch message {
        case let .prePrepare(s, batch): return .prePrepare(context.forge(s.body, claiming: claimed), batch: batch)
        case let .prepare(s): return .prepare(context.forge(s.body, claiming: claimed))
        case let .commit(s): return .commit(context.forge(s.body, claiming: claimed))
        case let .checkpoint(s): return .checkpoint(context.forge(s.body, claiming: claimed))
        case let .viewChange(s): return .viewChange(context.forge(s.body, claiming: claimed))
        case let .newView(s): return .newView(context.forge(s.body, claiming: claimed))
        case let .status(s): return .status(context.forge(s.body, claiming: claimed))
        case let .batchFetch(s): return .batchFetch(context.forge(s.body, claiming: claimed))
        case .committedBatch, .fetchedBatch: return message
        }
    }

    /// A digest nobody voted for, derived from `seed` and a label.
    static func madeUpDigest(_ seed: Digest, _ label: String) -> Digest {
        var h = Hasher256()
        h.update(seed)
        h.update(Array(label.utf8))
        return h.finalize()
    }
}
