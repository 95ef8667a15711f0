import LedgerCore
import LedgerCrypto

/// A stable checkpoint: the block hash at a sequence number and the proof (a quorum of signed CHECKPOINTs).
public struct StoredCheckpoint: Hashable, Sendable {
    /// The checkpoint's sequence number (= block height).
    public var sequenceNumber: SequenceNumber
    /// The hash of the block at that height.
    public var blockHash: Digest
    /// The encoded proof, opaque to the store.
    public var proof: [UInt8]

    /// A checkpoint from its parts.
    public init(sequenceNumber: SequenceNumber, blockHash: Digest, proof: [UInt8]) {
        self.sequenceNumber = sequenceNumber
        self.blockHash = blockHash
        self.proof = proof
    }
}
