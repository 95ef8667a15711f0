import Synchronization

/// The process-wide memo of byte strings already proven to be valid Ed25519 public keys.
///
/// `PublicKey(bytes:)` must check that 32 bytes are a canonical point of prime order, which
/// costs a scalar multiplication (~50 µs here: as much as verifying a signature). A node sees
/// the same senders and recipients over and over — in a client's submission, in the gossip of
/// it from three peers, in the primary's batch, in a retransmitted committed batch — and each
/// of those decodes used to pay the check again. The check is a pure function of the bytes, so
/// remembering its positive answers changes no result, only the cost. Invalid keys are never
/// remembered (a peer cannot fill the memo with garbage that then skips the check).
///
/// Bounded: two generations of at most `capacity / 2` keys each; when the current one fills,
/// it becomes the previous one and the oldest is forgotten. One lock, held for a set look-up.
final class ValidatedKeyMemo: Sendable {
    /// The memo every `PublicKey(bytes:)` in this process consults.
    static let shared = ValidatedKeyMemo(capacity: CryptoLimits.validatedKeyMemoCapacity)

    private struct Generations {
        var current: Set<InlineBytes32> = []
        var previous: Set<InlineBytes32> = []
    }

    private let generations = Mutex(Generations())
    private let halfCapacity: Int

    /// A memo holding about `capacity` keys.
    init(capacity: Int) { halfCapacity = max(1, capacity / 2) }

    /// Whether `key` was proven valid before.
    func contains(_ key: InlineBytes32) -> Bool {
        generations.withLock { $0.current.contains(key) || $0.previous.contains(key) }
    }

    /// Remembers that `key` is a valid public key.
    func insert(_ key: InlineBytes32) {
        generations.withLock { g in
            guard g.current.insert(key).inserted, g.current.count >= halfCapacity else { return }
            swap(&g.previous, &g.current)
            g.current.removeAll(keepingCapacity: true)  // reuse the storage: no regrowth
        }
    }
}
