import LedgerCore
import LedgerCrypto

/// The checkpoint an epoch starts from: stable by definition for the epoch's replicas, so it
/// carries no signatures of theirs (decision 0038). Epoch 0 starts at genesis; epoch `e + 1` at
/// epoch `e`'s last sequence number `a` and the hash of block `a`, which the previous epoch's
/// stable checkpoint proved (`EpochCompletion`).
public struct EpochStart: Hashable, Sendable {
    /// The last sequence number of the previous epoch (0 for epoch 0).
    public var sequence: SequenceNumber
    /// The hash of block `sequence` (`Digest.zero` at genesis).
    public var blockHash: Digest

    /// The start at (`sequence`, `blockHash`).
    public init(sequence: SequenceNumber, blockHash: Digest) {
        self.sequence = sequence
        self.blockHash = blockHash
    }

    /// Epoch 0's start: genesis.
    public static let genesis = EpochStart(sequence: .zero, blockHash: .zero)

    /// The unsigned proof that stands for this start in VIEW-CHANGEs and as a replica's first
    /// stable checkpoint.
    public var proof: CheckpointProof { CheckpointProof(sequence: sequence, blockHash: blockHash, checkpoints: []) }
}

/// What a replica hands its driver once the last checkpoint of its epoch is stable
/// (`Action.epochComplete`): everything a replica of the next epoch starts from.
public struct EpochCompletion: Hashable, Sendable {
    /// The epoch that ended.
    public var epoch: UInt64
    /// The stable checkpoint at the epoch's last sequence number `a`: a quorum of the ending
    /// epoch's validators signed CHECKPOINT(a, blockHash). A lagging replica of that epoch checks
    /// it with the ending epoch's keys before it starts the next epoch.
    public var proof: CheckpointProof

    /// A completion from its parts.
    public init(epoch: UInt64, proof: CheckpointProof) {
        self.epoch = epoch
        self.proof = proof
    }

    /// The epoch's last sequence number `a`.
    public var lastSequence: SequenceNumber { proof.sequence }
    /// The hash of block `a`.
    public var blockHash: Digest { proof.blockHash }
    /// Where the next epoch starts (`ReplicaConfiguration.epochStart` of its replicas).
    public var nextEpochStart: EpochStart { EpochStart(sequence: proof.sequence, blockHash: proof.blockHash) }
}
