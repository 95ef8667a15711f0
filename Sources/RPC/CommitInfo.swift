import LedgerCore
import LedgerCrypto

/// The `commit` result: a block header with the commit certificate that finalised it.
public struct CommitInfo: Sendable, Equatable {
    /// The block hash.
    public var blockHash: Digest
    /// The block header.
    public var header: BlockHeader
    /// `CommitCertificate.encoded()` as stored with the block.
    public var certificate: [UInt8]
    /// The view the certificate's COMMITs were signed in.
    public var view: View
    /// Each signing validator and its COMMIT signature, in certificate order.
    public var signatures: [(validator: ReplicaID, signature: Signature)]

    /// A commit from its fields.
    public init(blockHash: Digest, header: BlockHeader, certificate: [UInt8], view: View,
                signatures: [(validator: ReplicaID, signature: Signature)]) {
        self.blockHash = blockHash
        self.header = header
        self.certificate = certificate
        self.view = view
        self.signatures = signatures
    }

    public static func == (a: CommitInfo, b: CommitInfo) -> Bool {
        a.blockHash == b.blockHash && a.header == b.header && a.certificate == b.certificate && a.view == b.view
            && a.signatures.map(\.validator) == b.signatures.map(\.validator)
            && a.signatures.map(\.signature) == b.signatures.map(\.signature)
    }
}
