import LedgerCore
import LedgerCrypto

/// A block hash that state transfer knows to be authentic without any block's own commit
/// certificate. Block headers chain by `previousHash` and commit to their batch digest, so once
/// the blocks from our head up to `height` are executed, a match of the computed hash at
/// `height` with `blockHash` authenticates every one of them (a forged or reordered batch
/// anywhere below changes that hash, barring a BLAKE2b-256 collision).
public struct TransferAnchor: Sendable, Equatable {
    /// Why the hash is trusted.
    public enum Source: Sendable, Equatable {
        /// The transfer target: signed checkpoints from at least f + 1 validators that were
        /// verified before they reached the replica (or this replica's own stable checkpoint).
        case target
        /// A stable-checkpoint proof (a quorum of signed CHECKPOINTs) served with the range and
        /// verified here.
        case checkpointProof
    }

    /// The height whose hash is known.
    public var height: Height
    /// The hash of the block at `height`.
    public var blockHash: Digest
    /// Why it is trusted.
    public var source: Source

    /// An anchor from its parts.
    public init(height: Height, blockHash: Digest, source: Source) {
        self.height = height
        self.blockHash = blockHash
        self.source = source
    }
}
