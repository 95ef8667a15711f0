import LedgerCore
import LedgerCrypto
import PBFT

/// `selective-gossip`: passes the transactions its clients submit to the backups only, never to
/// the primary, and relays none to the primary either. Backups that hold requests the primary
/// never saw would suspect it and vote an honest primary out at the attacker's will; relaying
/// held requests to the primary (`Replica+Relay.swift`) is the answer. Its consensus messages go
/// out unchanged.
public struct SelectiveGossip: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .selectiveGossip }

    /// A validator that keeps its clients' transactions from the primary.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        [Emission(message, to: recipients)]
    }

    public mutating func gossipRecipients(_ transactions: [Transaction], to recipients: [ReplicaID], primary: ReplicaID) -> [ReplicaID] {
        recipients.filter { $0 != primary }
    }

    /// Clients submit to it: that is what lets it choose who learns of their transactions.
    public var attractsClients: Bool { true }
}
