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

    /// Parses validator `id`'s `public_key`: 64 hex characters of a canonical Ed25519 point of prime order.
    public static func publicKey(hex: String, id: Int) throws(GenesisError) -> PublicKey {
        do {
            return try PublicKey(hex: hex)
        } catch {
            throw .invalidValidatorKey(id: id, reason: "\(error)")
        }
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

    /// Parses account entry `index`: a bech32m `ldg1…` address and a balance written as a positive decimal
    /// integer without sign or leading zeros that fits in `UInt64` (balances are strings in JSON).
    public init(address: String, balance: String, index: Int) throws(GenesisError) {
        do {
            self.address = try Address(string: address)
        } catch {
            throw .invalidAccountAddress(index: index, error: error)
        }
        guard let value = GenesisAccount.parseBalance(balance), value > 0 else {
            throw .invalidBalance(index: index, value: balance)
        }
        self.balance = value
    }

    private static func parseBalance(_ text: String) -> UInt64? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count <= 20, digits.first != UInt8(ascii: "0") else { return nil }
        var value: UInt64 = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }
}
