import LedgerCrypto

/// Who this node is on the network and whom it trusts: chain, genesis, its own key, the pinned
/// keys of every validator of the current set (genesis's until a validator-set change), and which full nodes it serves.
public struct NetworkIdentity: Sendable {
    /// The P2P protocol version this build speaks (2: the Hello carries the sender's key, so full nodes
    /// can connect).
    public static let currentProtocolVersion: UInt16 = 2

    /// Protocol version sent in our Hello; peers must send the same.
    public let protocolVersion: UInt16
    /// The chain id; peers must send the same bytes.
    public let chainID: String
    /// Hash of the genesis; peers must send the same.
    public let genesisHash: Digest
    /// This node's id: its validator index, or its full-node id (`PeerID(fullNodeKey:)`).
    public let localID: PeerID
    /// This node's long-term key (signs the handshake transcript).
    public let signingKey: SigningKey
    /// The current set's validator keys: each validator is accepted only with its own key.
    public let validators: [PeerID: PublicKey]
    /// Which full nodes a validator lets connect; a full node serves none (it only dials).
    public let fullNodes: FullNodePolicy

    /// Whether this node is a full node (it dials validators and accepts no connections).
    public var isFullNode: Bool { localID.isFullNode }

    /// Checks that the identity is consistent: a chain id of 1...`maxChainIDBytes` bytes, and
    /// either our own validator id listed with our own key, or (a full node) the id derived from our key.
    public init(
        chainID: String, genesisHash: Digest, localID: PeerID, signingKey: SigningKey,
        validators: [PeerID: PublicKey], fullNodes: FullNodePolicy = .refuseAll,
        protocolVersion: UInt16 = NetworkIdentity.currentProtocolVersion, limits: P2PLimits = .standard
    ) throws(TransportError) {
        let chainBytes = chainID.utf8.count
        guard chainBytes >= 1, chainBytes <= limits.maxChainIDBytes else {
            throw .invalidConfiguration("chain id must be 1...\(limits.maxChainIDBytes) bytes, got \(chainBytes)")
        }
        if localID.isFullNode {
            guard localID == PeerID(fullNodeKey: signingKey.publicKey) else {
                throw .invalidConfiguration("full node id \(localID) is not the one derived from its key")
            }
            // A validator's key may dial as a full node: a validator catching up across a validator-set change
            // whose place in the set moved or that the peers no longer know by its old one (decision 0038).
        } else {
            guard let ownKey = validators[localID] else {
                throw .invalidConfiguration("local id \(localID) is not in the validator set")
            }
            guard ownKey == signingKey.publicKey else {
                throw .invalidConfiguration("signing key does not match the key the validator set holds for \(localID)")
            }
        }
        guard validators.count <= limits.maxValidators else {
            throw .invalidConfiguration("\(validators.count) validators, more than the \(limits.maxValidators) this transport serves")
        }
        guard validators.keys.allSatisfy({ $0.index >= 0 && $0.index < Int(PeerID.fullNodeWireID) }) else {
            throw .invalidConfiguration("validator ids must be in 0..<\(PeerID.fullNodeWireID)")
        }
        self.protocolVersion = protocolVersion
        self.chainID = chainID
        self.genesisHash = genesisHash
        self.localID = localID
        self.signingKey = signingKey
        self.validators = validators
        self.fullNodes = fullNodes
    }

    /// The same chain, genesis and full-node policy with another validator set (a validator-set change, decision
    /// 0038): `localID` is our index in it, or our full-node id if we left it; `signingKey` replaces ours when it
    /// was rotated. Checked like `init`.
    public func replacingValidators(
        _ validators: [PeerID: PublicKey], localID: PeerID, signingKey: SigningKey? = nil, limits: P2PLimits = .standard
    ) throws(TransportError) -> NetworkIdentity {
        try NetworkIdentity(
            chainID: chainID, genesisHash: genesisHash, localID: localID, signingKey: signingKey ?? self.signingKey,
            validators: validators, fullNodes: fullNodes, protocolVersion: protocolVersion, limits: limits)
    }
}

/// Which full nodes a validator serves: how many at once, and optionally only listed keys.
public struct FullNodePolicy: Sendable, Equatable {
    /// Most full nodes connected at once (0: none).
    public var maxConnected: Int
    /// When not empty, only full nodes with these keys are accepted.
    public var allowedKeys: Set<PublicKey>

    /// A policy.
    public init(maxConnected: Int, allowedKeys: Set<PublicKey> = []) {
        self.maxConnected = max(0, maxConnected)
        self.allowedKeys = allowedKeys
    }

    /// No full node is accepted.
    public static let refuseAll = FullNodePolicy(maxConnected: 0)

    /// Whether a full node with `key` may finish the handshake (the count is checked after it).
    func admits(_ key: PublicKey) -> Bool {
        maxConnected > 0 && (allowedKeys.isEmpty || allowedKeys.contains(key))
    }
}
