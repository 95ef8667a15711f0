import LedgerCrypto

/// A genesis still being assembled by a coordinator (`ledger-node genesis new`, `add-validator`,
/// `add-account`), one validator and account at a time.
///
/// Every value passes the same checks as a `Genesis` (`Genesis.check`), except that a draft may have
/// any number of validators up to `Limits.validatorsMax`. Its JSON form is a genesis file with
/// `"draft": true`, which `Genesis.load` refuses, so a node never starts from a half-made chain;
/// `finalized()` turns a complete draft into a `Genesis`.
public struct GenesisDraft: Hashable, Sendable {
    /// The network's name.
    public private(set) var chainID: String
    /// The genesis block's timestamp, ms since the Unix epoch.
    public private(set) var genesisTimeMs: UInt64
    /// The validators added so far, ids 0..<count in order.
    public private(set) var validators: [Validator]
    /// The initial balances added so far.
    public private(set) var accounts: [GenesisAccount]
    /// The consensus parameters.
    public private(set) var consensus: ConsensusParameters
    /// `true` for a test network (Byzantine test modes refuse to start otherwise).
    public private(set) var isTestNetwork: Bool

    /// A draft with the given values, checked like a genesis except for the number of validators.
    public init(
        chainID: String, genesisTimeMs: UInt64, consensus: ConsensusParameters, isTestNetwork: Bool,
        validators: [Validator] = [], accounts: [GenesisAccount] = []
    ) throws(GenesisError) {
        try Genesis.check(
            chainID: chainID, validators: validators, accounts: accounts, consensus: consensus, isComplete: false)
        self.chainID = chainID
        self.genesisTimeMs = genesisTimeMs
        self.validators = validators
        self.accounts = accounts
        self.consensus = consensus
        self.isTestNetwork = isTestNetwork
    }

    /// Appends a validator with the next id (`publicKeyHex`: 64 hex characters); returns it. Refused, with
    /// the draft unchanged, for a bad key or address, a key or p2p address another validator has, or one
    /// validator too many.
    @discardableResult
    public mutating func addValidator(
        publicKeyHex: String, p2pAddress: String, rpcAddress: String? = nil
    ) throws(GenesisError) -> Validator {
        let id = validators.count
        let key = try Validator.publicKey(hex: publicKeyHex, id: id)
        let validator = Validator(id: ReplicaID(id), publicKey: key, p2pAddress: p2pAddress, rpcAddress: rpcAddress)
        try replace(validators: validators + [validator])
        return validator
    }

    /// Appends an initial balance (`address`: `ldg1…`; `balance`: a positive decimal integer). Refused, with the
    /// draft unchanged, for a bad address or balance, an address already funded, or a total above `UInt64.max`.
    public mutating func addAccount(address: String, balance: String) throws(GenesisError) {
        let account = try GenesisAccount(address: address, balance: balance, index: accounts.count)
        try Genesis.check(
            chainID: chainID, validators: validators, accounts: accounts + [account], consensus: consensus,
            isComplete: false)
        accounts.append(account)
    }

    /// Gives validator `id` a new `p2pAddress` and/or `rpcAddress` (`nil` keeps the current one).
    public mutating func moveValidator(_ id: ReplicaID, p2pAddress: String?, rpcAddress: String?) throws(GenesisError) {
        try replace(validators: Validator.moving(id, in: validators, p2pAddress: p2pAddress, rpcAddress: rpcAddress))
    }

    /// The finished genesis; throws what still keeps it from loading (e.g. 3 validators).
    public func finalized() throws(GenesisError) -> Genesis {
        try Genesis(
            chainID: chainID, genesisTimeMs: genesisTimeMs, validators: validators, accounts: accounts,
            consensus: consensus, isTestNetwork: isTestNetwork)
    }

    private mutating func replace(validators candidate: [Validator]) throws(GenesisError) {
        try Genesis.check(
            chainID: chainID, validators: candidate, accounts: accounts, consensus: consensus, isComplete: false)
        validators = candidate
    }
}

extension GenesisDraft {
    /// Reads the draft at `path`; a finalized genesis is refused with `.notADraft`.
    public static func load(from path: String) throws(GenesisError) -> GenesisDraft {
        try load(json: Genesis.readFile(path))
    }

    /// Parses and checks a draft from JSON bytes (a genesis file with `"draft": true`).
    public static func load(json: [UInt8]) throws(GenesisError) -> GenesisDraft {
        let file = try GenesisFile.decode(json)
        guard file.draft == true else { throw .notADraft }
        return try GenesisDraft(
            chainID: file.chainID, genesisTimeMs: file.genesisTime, consensus: file.parameters,
            isTestNetwork: file.testNetwork, validators: file.typedValidators(), accounts: file.typedAccounts())
    }

    /// The JSON form: a genesis file with `"draft": true`, which `load(json:)` reads back.
    public func jsonBytes() -> [UInt8] {
        GenesisFile.encode(
            GenesisFile(
                chainID: chainID, genesisTimeMs: genesisTimeMs, validators: validators, accounts: accounts,
                consensus: consensus, isTestNetwork: isTestNetwork, isDraft: true))
    }
}

extension Genesis {
    /// This genesis with validator `id` at a new `p2pAddress` and/or `rpcAddress` (`nil` keeps the current one).
    /// The addresses are outside the genesis hash, so the result has the same `genesisHash`: the same chain.
    public func movingValidator(_ id: ReplicaID, p2pAddress: String?, rpcAddress: String?) throws(GenesisError) -> Genesis {
        try Genesis(
            chainID: chainID, genesisTimeMs: genesisTimeMs,
            validators: Validator.moving(id, in: validators, p2pAddress: p2pAddress, rpcAddress: rpcAddress),
            accounts: accounts, consensus: consensus, isTestNetwork: isTestNetwork)
    }
}

extension Validator {
    /// `validators` with entry `id` given new addresses (`nil` keeps one); the caller checks the result.
    static func moving(
        _ id: ReplicaID, in validators: [Validator], p2pAddress: String?, rpcAddress: String?
    ) throws(GenesisError) -> [Validator] {
        guard validators.indices.contains(id.index) else {
            throw .unknownValidator(id: id.index, count: validators.count)
        }
        var moved = validators
        let old = validators[id.index]
        moved[id.index] = Validator(
            id: old.id, publicKey: old.publicKey, p2pAddress: p2pAddress ?? old.p2pAddress,
            rpcAddress: rpcAddress ?? old.rpcAddress)
        return moved
    }
}
