import LedgerCore
import LedgerCrypto
import PBFT

/// `censor`: drops one client's transactions before its replica sees them, so as primary it
/// never proposes them and as backup it never waits for them. Honest backups that hold the
/// transactions must time out and replace the primary.
public struct Censor: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .censor }
    private var victim: PublicKey?

    /// Censors `victim`, or (when `nil`) the sender of the first transaction it sees.
    public init(victim: PublicKey?) { self.victim = victim }

    public mutating func filter(requests: [Transaction]) -> [Transaction] {
        if victim == nil { victim = requests.first?.sender }
        return requests.filter { $0.sender != victim }
    }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        [Emission(message, to: recipients)]
    }
}
