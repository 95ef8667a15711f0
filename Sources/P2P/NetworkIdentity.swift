import LedgerCrypto

/// Who this node is on the network and whom it trusts: chain, genesis, its own validator
/// key and the pinned genesis keys of every validator.
public struct NetworkIdentity: Sendable {
    /// The P2P protocol version this build speaks.
    public static let currentProtocolVersion: UInt16 = 1

    /// Protocol version sent in our Hello; peers must send the same.
    public let protocolVersion: UInt16
    /// The chain id; peers must send the same bytes.
    public let chainID: String
    /// Hash of the genesis; peers must send the same.
    public let genesisHash: Digest
    /// This node's validator id.
    public let localID: PeerID
    /// This node's long-term validator key (signs the handshake transcript).
    public let signingKey: SigningKey
    /// Genesis validator keys: the only peers accepted, each only with its own key.
    public let validators: [PeerID: PublicKey]

    /// Checks that the identity is consistent: a chain id of 1...`maxChainIDBytes` bytes,
    /// and our own id listed with our own public key.
    public init(
        chainID: String, genesisHash: Digest, localID: PeerID, signingKey: SigningKey,
        validators: [PeerID: PublicKey], protocolVersion: UInt16 = NetworkIdentity.currentProtocolVersion,
        limits: P2PLimits = .standard
    ) throws(TransportError) {
        let chainBytes = chainID.utf8.count
        guard chainBytes >= 1, chainBytes <= limits.maxChainIDBytes else {
            throw .invalidConfiguration("chain id must be 1...\(limits.maxChainIDBytes) bytes, got \(chainBytes)")
        }
        guard let ownKey = validators[localID] else {
            throw .invalidConfiguration("local id \(localID) is not in the validator set")
        }
        guard ownKey == signingKey.publicKey else {
            throw .invalidConfiguration("signing key does not match the genesis key of \(localID)")
        }
        guard validators.count <= limits.maxValidators else {
            throw .invalidConfiguration("\(validators.count) validators, more than the \(limits.maxValidators) this transport serves")
        }
        guard validators.keys.allSatisfy({ $0.index >= 0 && $0.index <= Int(UInt32.max) }) else {
            throw .invalidConfiguration("validator ids must be in 0...\(UInt32.max)")
        }
        self.protocolVersion = protocolVersion
        self.chainID = chainID
        self.genesisHash = genesisHash
        self.localID = localID
        self.signingKey = signingKey
        self.validators = validators
    }
}
