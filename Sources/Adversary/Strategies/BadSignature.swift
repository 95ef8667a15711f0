import LedgerCore
import LedgerCrypto
import PBFT

/// `bad-signature`: every message goes out with a corrupted signature, so verification must
/// reject all of it; to the others the replica is as good as silent.
public struct BadSignature: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .badSignature }

    /// A replica whose signatures never verify.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        [Emission(MessageSurgery.withCorruptSignature(message), to: recipients)]
    }
}
