import LedgerCore
import LedgerCrypto
import PBFT

/// A fetched block range that passed the checks that need no execution (see
/// `RangeVerifier.verify`): batches decode; every block above `anchor` has a commit
/// certificate with a quorum of valid signatures for its height and batch digest; every block at or
/// below `anchor` has a structurally complete certificate for its height and digest, whose
/// signatures are left unchecked because the hash chain authenticates the block instead.
/// The anchor itself is only checked when the range is executed (`RangeVerifier.execute`).
public struct VerifiedRange: Sendable {
    /// Height of the first block.
    public var from: Height
    /// The blocks in height order, each with its certificate bytes as served (stored unchanged).
    public var blocks: [(batch: Batch, certificate: [UInt8])]
    /// The authentic hash at or below the top of the range, if one covers it.
    public var anchor: TransferAnchor?
    /// The donor's verified stable-checkpoint proof behind `anchor` (stored, so this node can
    /// serve it in turn), when the anchor came from one.
    public var proof: CheckpointProof?
    /// Ed25519 signatures verified for this range (for the transfer's log line and tests).
    public var signaturesChecked: Int
    /// The epoch each block's certificate names (verified in it above the anchor; at or below it the hash chain
    /// authenticates the block and the certificate is only checked for structure); `RangeVerifier.execute` checks it
    /// is the block's own.
    public var certificateEpochs: [UInt64?] = []
    /// The epoch `proof` was verified in.
    public var proofEpoch: UInt64?

    /// A verified range from its parts.
    public init(from: Height, blocks: [(batch: Batch, certificate: [UInt8])], anchor: TransferAnchor?,
                proof: CheckpointProof?, signaturesChecked: Int) {
        self.from = from
        self.blocks = blocks
        self.anchor = anchor
        self.proof = proof
        self.signaturesChecked = signaturesChecked
    }
}
