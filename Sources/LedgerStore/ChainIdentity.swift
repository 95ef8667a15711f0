import LedgerCore
import LedgerCrypto

/// What a database is checked against when opened, and what a new one is initialised with:
/// the chain id, the genesis hash, the height-0 header and the initial accounts.
public struct ChainIdentity: Hashable, Sendable {
    /// The chain id.
    public var chainID: String
    /// The genesis hash peers compare in the handshake.
    public var genesisHash: Digest
    /// The height-0 block header (its state hash commits to `accounts`).
    public var genesisHeader: BlockHeader
    /// The initial accounts.
    public var accounts: [Account]

    /// An identity from its parts.
    public init(chainID: String, genesisHash: Digest, genesisHeader: BlockHeader, accounts: [Account]) {
        self.chainID = chainID
        self.genesisHash = genesisHash
        self.genesisHeader = genesisHeader
        self.accounts = accounts
    }
}
