import LedgerCore

/// A stored block as a state-transfer donor sends it: the canonical batch encoding rebuilt from
/// the stored transaction bytes (no transaction is decoded) and the commit certificate bytes.
public struct RawBlock: Sendable {
    /// The block's header (decoded: it is small and names the batch digest).
    public var header: BlockHeader
    /// `Batch.encoded()` of the batch committed at this height; BLAKE2b-256 of it is `header.batchDigest`.
    public var batch: [UInt8]
    /// The commit certificate stored with the block.
    public var certificate: [UInt8]

    /// A raw block.
    public init(header: BlockHeader, batch: [UInt8], certificate: [UInt8]) {
        self.header = header
        self.batch = batch
        self.certificate = certificate
    }
}
