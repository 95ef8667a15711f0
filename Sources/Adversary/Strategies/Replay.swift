import LedgerCore
import LedgerCrypto
import PBFT

/// `replay`: keeps the last messages it received and sent, and with every message it sends
/// re-sends two old ones to random peers. Receivers must treat them as duplicates or stale.
public struct Replay: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .replay }
    private var history: [LedgerMessage] = []
    private var cursor = 0
    private var random: AdversaryRandom
    /// How many old messages the replica remembers.
    public static let historyLimit = 256

    /// A replayer whose choices come from `seed`.
    public init(seed: UInt64) { random = AdversaryRandom(seed: seed) }

    private mutating func remember(_ message: LedgerMessage) {
        if history.count < Replay.historyLimit {
            history.append(message)
        } else {
            history[cursor] = message
            cursor = (cursor + 1) % Replay.historyLimit
        }
    }

    public mutating func observe(incoming message: LedgerMessage) { remember(message) }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        var out = [Emission(message, to: recipients)]
        let others = context.others
        if !history.isEmpty && !others.isEmpty {
            for _ in 0..<2 {
                let old = history[random.below(history.count)]
                out.append(Emission(old, to: [others[random.below(others.count)]]))
            }
        }
        remember(message)
        return out
    }
}
