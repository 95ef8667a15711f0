import LedgerCore
import LedgerCrypto
import PBFT

/// Several Byzantine behaviours at once (`--byzantine equivocate,flood`): each outgoing message
/// goes through the first behaviour, whatever that emits goes through the second, and so on
/// (delays add up); requests are filtered by each in turn; every behaviour observes every
/// incoming message.
public struct CombinedBehaviour: ByzantineBehaviour {
    private var parts: [any ByzantineBehaviour]

    /// The behaviours applied in order; must not be empty.
    public init(_ parts: [any ByzantineBehaviour]) {
        precondition(!parts.isEmpty, "a combined behaviour needs at least one part")
        self.parts = parts
    }

    /// The first part's strategy (the one named first on the command line).
    public var strategy: ByzantineStrategy { parts[0].strategy }

    /// Every part's strategy, in order.
    public var strategies: [ByzantineStrategy] { parts.map(\.strategy) }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        var current = [Emission(message, to: recipients)]
        for i in parts.indices {
            var next: [Emission] = []
            for emission in current {
                for out in parts[i].transform(emission.message, to: emission.recipients, context: context) {
                    var delayed = out
                    delayed.delayMs = emission.delayMs &+ out.delayMs
                    next.append(delayed)
                }
            }
            current = next
            if current.isEmpty { break }
        }
        return current
    }

    public mutating func filter(requests: [Transaction]) -> [Transaction] {
        var kept = requests
        for i in parts.indices { kept = parts[i].filter(requests: kept) }
        return kept
    }

    public mutating func observe(incoming message: LedgerMessage) {
        for i in parts.indices { parts[i].observe(incoming: message) }
    }

    public var forgetsLogOnRestart: Bool { parts.contains { $0.forgetsLogOnRestart } }

    public mutating func gossipRecipients(_ transactions: [Transaction], to recipients: [ReplicaID], primary: ReplicaID) -> [ReplicaID] {
        var kept = recipients
        for i in parts.indices { kept = parts[i].gossipRecipients(transactions, to: kept, primary: primary) }
        return kept
    }

    public var attractsClients: Bool { parts.contains { $0.attractsClients } }
}
