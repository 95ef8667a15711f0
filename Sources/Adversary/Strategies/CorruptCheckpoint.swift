import LedgerCore
import LedgerCrypto
import PBFT

/// `corrupt-checkpoint`: every CHECKPOINT it sends names a wrong block hash, a different one
/// for each recipient (validly signed, so two of them together are equivocation evidence).
/// Checkpoints must still become stable on the honest replicas' matching hashes alone.
public struct CorruptCheckpoint: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .corruptCheckpoint }

    /// A replica that lies about its state.
    public init() {}

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        guard case let .checkpoint(signed) = message else { return [Emission(message, to: recipients)] }
        return recipients.map { r in
            let wrong = MessageSurgery.madeUpDigest(signed.body.blockHash, "corrupt-checkpoint-\(r.index)")
            return Emission(.checkpoint(context.sign(Checkpoint(sequence: signed.body.sequence, blockHash: wrong))), to: [r])
        }
    }
}
