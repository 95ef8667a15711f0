import LedgerCore
import LedgerCrypto
import PBFT

/// `silent`: runs the replica but never sends anything (a replica that is up but mute).
public struct Silent: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .silent }

    /// A mute replica.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        []
    }
}
