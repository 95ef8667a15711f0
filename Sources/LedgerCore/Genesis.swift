import LedgerCrypto

/// The chain's starting point: its id, validator set, initial balances and consensus
/// parameters. Every value is checked on construction, so a `Genesis` is always valid.
///
/// `genesisHash` is BLAKE2b-256 of a canonical binary encoding (not of the JSON text, so
/// whitespace, key order and account order in the file do not matter); nodes compare it in
/// the handshake. Validators' network addresses are not covered (decision 0034): the handshake
/// authenticates a peer by its key, so a validator can move without a new chain. See
/// `genesis/README.md` for the JSON form; `GenesisDraft` is a genesis still being assembled.
public struct Genesis: Hashable, Sendable {
    /// The version byte of the canonical genesis encoding (2: network addresses left out).
    public static let version: UInt8 = 2

    /// The network's name; every transaction and consensus message carries it.
    public let chainID: String
    /// The genesis block's timestamp, ms since the Unix epoch.
    public let genesisTimeMs: UInt64
    /// The validators, ids 0..<n in order.
    public let validators: [Validator]
    /// The initial balances, as listed in the file.
    public let accounts: [GenesisAccount]
    /// The consensus parameters.
    public let consensus: ConsensusParameters
    /// `true` for a test network (Byzantine test modes refuse to start otherwise).
    public let isTestNetwork: Bool
    /// BLAKE2b-256 of `encoded()`.
    public let genesisHash: Digest
    /// The state hash before any block: `StateHash.genesis(accounts: initialAccounts)`.
    public let stateHash: Digest

    /// Builds and validates a genesis.
    public init(
        chainID: String, genesisTimeMs: UInt64, validators: [Validator], accounts: [GenesisAccount],
        consensus: ConsensusParameters, isTestNetwork: Bool
    ) throws(GenesisError) {
        try Genesis.check(
            chainID: chainID, validators: validators, accounts: accounts, consensus: consensus, isComplete: true)
        self.chainID = chainID
        self.genesisTimeMs = genesisTimeMs
        self.validators = validators
        self.accounts = accounts
        self.consensus = consensus
        self.isTestNetwork = isTestNetwork
        self.genesisHash = Hash.blake2b256(
            Genesis.encode(
                chainID: chainID, genesisTimeMs: genesisTimeMs, validators: validators, accounts: accounts,
                consensus: consensus, isTestNetwork: isTestNetwork))
        self.stateHash = StateHash.genesis(
            accounts: accounts.map { Account(publicKey: $0.address.publicKey, balance: $0.balance, nonce: 0) })
    }

    /// The checks of a genesis (`isComplete`) and of a draft, which differ only in the validator count:
    /// `Limits.validatorsMin`…`Limits.validatorsMax` for a genesis (any n: `QuorumRule` sizes the
    /// quorums), anything up to `Limits.validatorsMax` for a draft.
    static func check(
        chainID: String, validators: [Validator], accounts: [GenesisAccount], consensus: ConsensusParameters,
        isComplete: Bool
    ) throws(GenesisError) {
        if let reason = ChainID.problem(with: chainID) { throw .invalidChainID(reason: reason) }
        let n = validators.count
        if isComplete, n < Limits.validatorsMin || n > Limits.validatorsMax {
            throw .invalidValidatorCount(count: n, maximum: Limits.validatorsMax)
        }
        if n > Limits.validatorsMax { throw .tooManyValidators(count: n, maximum: Limits.validatorsMax) }
        try check(validators: validators)
        try check(accounts: accounts)
        try consensus.validate()
    }

    private static func check(validators: [Validator]) throws(GenesisError) {
        var keys: [PublicKey: Int] = [:]
        var p2p: [String: Int] = [:]
        for (position, v) in validators.enumerated() {
            if v.id.index != position { throw .validatorIDOutOfOrder(position: position, id: v.id.index) }
            if let other = keys.updateValue(position, forKey: v.publicKey) {
                throw .duplicateValidatorKey(id: position, otherID: other)
            }
            if let reason = NetworkAddress.problem(with: v.p2pAddress) {
                throw .invalidNetworkAddress(id: position, field: "p2p_address", value: v.p2pAddress, reason: reason)
            }
            if let other = p2p.updateValue(position, forKey: v.p2pAddress) {
                throw .duplicateNetworkAddress(id: position, otherID: other, address: v.p2pAddress)
            }
            if let rpc = v.rpcAddress, let reason = NetworkAddress.problem(with: rpc) {
                throw .invalidNetworkAddress(id: position, field: "rpc_address", value: rpc, reason: reason)
            }
        }
    }

    private static func check(accounts: [GenesisAccount]) throws(GenesisError) {
        if accounts.count > Limits.genesisAccountsMax {
            throw .tooManyAccounts(count: accounts.count, maximum: Limits.genesisAccountsMax)
        }
        var firstIndex: [PublicKey: Int] = [:]
        var total: UInt64 = 0
        for (i, account) in accounts.enumerated() {
            if let first = firstIndex.updateValue(i, forKey: account.address.publicKey) {
                throw .duplicateAccount(index: i, firstIndex: first, address: account.address.string)
            }
            if account.balance == 0 { throw .invalidBalance(index: i, value: "0") }
            let (sum, overflow) = total.addingReportingOverflow(account.balance)
            if overflow { throw .totalSupplyOverflow }
            total = sum
        }
    }

    /// Number of validators, n (`Limits.validatorsMin`…`Limits.validatorsMax`).
    public var validatorCount: Int { validators.count }
    /// The quorum sizes of the validator set (a loaded genesis has at least one validator).
    public var quorumRule: QuorumRule { QuorumRule(validators.count) ?? .single }
    /// Most faulty validators tolerated: f = (n − 1) / 3.
    public var f: Int { quorumRule.f }
    /// Size of a quorum: ⌈(n + f + 1) / 2⌉ (2f + 1 when n = 3f + 1).
    public var quorum: Int { quorumRule.quorum }
    /// Size of a weak quorum (at least one honest member): f + 1.
    public var weakQuorum: Int { quorumRule.weakQuorum }

    /// The validator with `id`, if it exists.
    public func validator(_ id: ReplicaID) -> Validator? {
        validators.indices.contains(id.index) ? validators[id.index] : nil
    }

    /// The validator whose key is `key`, if any.
    public func validator(withKey key: PublicKey) -> Validator? {
        validators.first { $0.publicKey == key }
    }

    /// The initial accounts (nonce 0), sorted by key.
    public var initialAccounts: [Account] {
        accounts.map { Account(publicKey: $0.address.publicKey, balance: $0.balance, nonce: 0) }
            .sorted { $0.publicKey < $1.publicKey }
    }

    /// The header of block 0, the parent of block 1: height 0, `previousHash` = genesis hash,
    /// batch digest of the null batch, view 0, proposer 0, timestamp = genesis time,
    /// tx root of no transactions, the genesis state hash, 0 transactions.
    public var header: BlockHeader {
        BlockHeader(
            height: .zero, previousHash: genesisHash, batchDigest: Batch.null.digest, view: .zero,
            proposer: ReplicaID(0), timestamp: genesisTimeMs, txRoot: Merkle.root([]), stateHash: stateHash,
            txCount: 0)
    }

    /// The in-memory state at genesis.
    public var initialState: AccountState { AccountState(accounts: initialAccounts) }

    /// The canonical binary encoding that `genesisHash` covers.
    ///
    /// version (1, = 2) | chain id (1-byte length + bytes) | genesis time (8) | test network (1: 0/1)
    /// | max batch txs (4) | max batch bytes (4) | batch delay (8) | checkpoint interval (8)
    /// | window (8) | view-change timeout (8) | max clock drift (8)
    /// | validator count (4) | per validator: id (4), key (32)
    /// | account count (4) | per account sorted by key: key (32), balance (8).
    ///
    /// The validators' `p2p_address` and `rpc_address` are deliberately left out (since version 2,
    /// decision 0034): a peer is authenticated by its key in the handshake, not by where it was
    /// reached, so moving a validator to a new address keeps the chain and its hash.
    public func encoded() -> [UInt8] {
        Genesis.encode(
            chainID: chainID, genesisTimeMs: genesisTimeMs, validators: validators, accounts: accounts,
            consensus: consensus, isTestNetwork: isTestNetwork)
    }

    private static func encode(
        chainID: String, genesisTimeMs: UInt64, validators: [Validator], accounts: [GenesisAccount],
        consensus: ConsensusParameters, isTestNetwork: Bool
    ) -> [UInt8] {
        var w = ByteWriter(capacity: 128 + validators.count * 36 + accounts.count * 40)
        w.write(version)
        w.writeShortBytes(chainID.utf8)
        w.write(genesisTimeMs)
        w.write(isTestNetwork)
        w.write(UInt32(truncatingIfNeeded: consensus.maxBatchTransactions))
        w.write(UInt32(truncatingIfNeeded: consensus.maxBatchBytes))
        w.write(consensus.batchDelayMs)
        w.write(consensus.checkpointInterval)
        w.write(consensus.window)
        w.write(consensus.viewChangeTimeoutMs)
        w.write(consensus.maxClockDriftMs)
        w.write(UInt32(truncatingIfNeeded: validators.count))
        for v in validators {
            w.write(UInt32(truncatingIfNeeded: v.id.index))
            w.write(v.publicKey)
        }
        let sorted = accounts.sorted { $0.address.publicKey < $1.address.publicKey }
        w.write(UInt32(truncatingIfNeeded: sorted.count))
        for account in sorted {
            w.write(account.address.publicKey)
            w.write(account.balance)
        }
        return w.bytes
    }
}
