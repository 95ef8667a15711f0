import LedgerCore
import LedgerCrypto
import PBFT

/// `forge-sender`: sends its real messages, and with each one a copy that claims to come from
/// another replica (signed with its own key, so the claimed signer's key rejects it). A
/// verifier that trusted the claimed id would count a vote twice.
public struct ForgeSender: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .forgeSender }
    private var next = 0

    /// A replica that impersonates the others in turn.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        let others = context.others
        guard !others.isEmpty else { return [Emission(message, to: recipients)] }
        let victim = others[next % others.count]
        next &+= 1
        return [
            Emission(message, to: recipients),
            Emission(MessageSurgery.forged(message, claiming: victim, context: context), to: recipients),
        ]
    }
}
