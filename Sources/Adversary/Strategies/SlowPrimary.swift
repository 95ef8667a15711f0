import LedgerCore
import LedgerCrypto
import PBFT

/// `slow-primary`: as primary, holds every PRE-PREPARE (and NEW-VIEW) back for 90 % of the
/// backups' initial view-change timeout — slow enough to hurt, just fast enough that a
/// backup's timer may not fire. Everything else goes out at once.
public struct SlowPrimary: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .slowPrimary }

    /// A slow primary.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        switch message {
        case .prePrepare, .newView:
            return [Emission(message, to: recipients, delayMs: context.viewChangeTimeoutMs * 9 / 10)]
        default:
            return [Emission(message, to: recipients)]
        }
    }
}
