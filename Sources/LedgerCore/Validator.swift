import LedgerCrypto

/// One validator of the genesis validator set.
public struct Validator: Hashable, Sendable {
    /// Its index in the set (0..<n); the primary of view v is validator v mod n.
    public let id: ReplicaID
    /// The key that signs its consensus messages and handshakes.
    public let publicKey: PublicKey
    /// Where peers connect to it, `host:port`.
    public let p2pAddress: String
    /// Where clients reach its JSON-RPC server, `host:port`, if published.
    public let rpcAddress: String?

    /// A validator with the given fields (checked when the `Genesis` is built).
    public init(id: ReplicaID, publicKey: PublicKey, p2pAddress: String, rpcAddress: String? = nil) {
        self.id = id
        self.publicKey = publicKey
        self.p2pAddress = p2pAddress
        self.rpcAddress = rpcAddress
    }
}

/// An initial balance in the genesis.
public struct GenesisAccount: Hashable, Sendable {
    /// The account's address.
    public let address: Address
    /// Its initial balance (positive).
    public let balance: UInt64

    /// An initial balance (checked when the `Genesis` is built).
    public init(address: Address, balance: UInt64) {
        self.address = address
        self.balance = balance
    }
}
