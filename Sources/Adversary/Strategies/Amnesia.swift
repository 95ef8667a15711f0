import LedgerCore
import LedgerCrypto
import PBFT

/// `amnesia`: sends what the replica sends, but the driver restarts it now and then with an
/// empty consensus log (its executed blocks survive), so it may sign messages that
/// contradict ones it signed before the restart. Honest replicas must either catch that as
/// equivocation evidence or be unaffected.
public struct Amnesia: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .amnesia }

    /// An amnesiac replica.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        [Emission(message, to: recipients)]
    }

    public var forgetsLogOnRestart: Bool { true }
}
