import LedgerCore
import LedgerCrypto

/// The stored head of the chain.
public struct ChainHead: Hashable, Sendable {
    /// Its height (0 = only genesis).
    public var height: Height
    /// Its hash.
    public var hash: Digest
    /// Its header.
    public var header: BlockHeader

    /// A head from its header.
    public init(header: BlockHeader) {
        self.height = header.height
        self.hash = header.hash
        self.header = header
    }
}
