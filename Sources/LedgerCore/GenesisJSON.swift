#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LedgerCrypto

/// The JSON form of a genesis file (snake_case keys, see `genesis/README.md`).
///
/// Decoding is strict: unknown keys are refused (a misspelt optional key would otherwise be
/// silently ignored), balances are decimal strings (JSON numbers lose precision above 2^53).
extension Genesis {
    /// Reads and validates the genesis file at `path`.
    public static func load(from path: String) throws(GenesisError) -> Genesis {
        return try load(json: readFile(path))
    }

    /// The bytes of the file at `path`, refusing one above `Limits.genesisFileMaxBytes`.
    static func readFile(_ path: String) throws(GenesisError) -> [UInt8] {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let raw = attributes[.size]
            size = (raw as? Int) ?? (raw as? UInt64).map { Int(clamping: $0) } ?? (raw as? Int64).map { Int(clamping: $0) } ?? 0
        } catch {
            throw .unreadableFile(path: path, reason: "\(error)")
        }
        if size > Limits.genesisFileMaxBytes { throw .fileTooLarge(size: size, maximum: Limits.genesisFileMaxBytes) }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadableFile(path: path, reason: "\(error)")
        }
    }

    /// Parses and validates a genesis from JSON bytes; a draft (`"draft": true`) is refused.
    public static func load(json: [UInt8]) throws(GenesisError) -> Genesis {
        let file = try GenesisFile.decode(json)
        if file.draft == true { throw .draftNotFinalized }
        return try file.genesis()
    }

    /// The JSON form of this genesis (pretty-printed, keys sorted), which `load(json:)` reads back.
    public func jsonBytes() -> [UInt8] { GenesisFile.encode(GenesisFile(self)) }

    /// A one-line description of a decoding error naming the key path.
    static func describe(_ error: Swift.DecodingError) -> String {
        func path(_ context: Swift.DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "top level" : String(p.dropFirst(p.hasPrefix(".") ? 1 : 0))
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = path(context)
            return "missing field '\(key.stringValue)' in \(parent)"
        case let .typeMismatch(type, context): return "\(path(context)): expected \(type)"
        case let .valueNotFound(type, context): return "\(path(context)): expected \(type), found null"
        case let .dataCorrupted(context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// Thrown while decoding JSON when an object has a key the format does not define.
struct UnknownKey: Error {
    var path: String
    var key: String
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws `UnknownKey` for the first key of the object being decoded that `keys` does not list.
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, _ keys: Keys.Type) throws {
    let known = Set(Keys.allCases.map(\.stringValue))
    let container = try decoder.container(keyedBy: AnyKey.self)
    for key in container.allKeys where !known.contains(key.stringValue) {
        let path = decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        throw UnknownKey(path: path.isEmpty ? "top level" : String(path.drop { $0 == "." }), key: key.stringValue)
    }
}

struct GenesisFile: Codable {
    var chainID: String
    var genesisTime: UInt64
    var validators: [ValidatorEntry]
    var accounts: [AccountEntry]
    var consensus: ConsensusEntry
    var testNetwork: Bool
    /// `true` in a draft (`GenesisDraft`), absent in a finalized genesis.
    var draft: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case chainID = "chain_id", genesisTime = "genesis_time", validators, accounts, consensus
        case testNetwork = "test_network", draft
    }

    /// Decodes the JSON form (strictly: unknown keys refused), without validating the values.
    static func decode(_ json: [UInt8]) throws(GenesisError) -> GenesisFile {
        if json.count > Limits.genesisFileMaxBytes {
            throw .fileTooLarge(size: json.count, maximum: Limits.genesisFileMaxBytes)
        }
        do {
            return try JSONDecoder().decode(GenesisFile.self, from: Data(json))
        } catch let error as UnknownKey {
            throw .unknownField(path: error.path, key: error.key)
        } catch let error as Swift.DecodingError {
            throw .invalidJSON(reason: Genesis.describe(error))
        } catch {
            throw .invalidJSON(reason: "\(error)")
        }
    }

    /// The JSON text of `file` (pretty-printed, keys sorted).
    static func encode(_ file: GenesisFile) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and bools cannot fail.
        return [UInt8](try! encoder.encode(file)) + [UInt8(ascii: "\n")]
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        chainID = try c.decode(String.self, forKey: .chainID)
        genesisTime = try c.decode(UInt64.self, forKey: .genesisTime)
        validators = try c.decode([ValidatorEntry].self, forKey: .validators)
        accounts = try c.decode([AccountEntry].self, forKey: .accounts)
        consensus = try c.decode(ConsensusEntry.self, forKey: .consensus)
        testNetwork = try c.decode(Bool.self, forKey: .testNetwork)
        draft = try c.decodeIfPresent(Bool.self, forKey: .draft)
    }

    init(
        chainID: String, genesisTimeMs: UInt64, validators: [Validator], accounts: [GenesisAccount],
        consensus p: ConsensusParameters, isTestNetwork: Bool, isDraft: Bool
    ) {
        self.chainID = chainID
        genesisTime = genesisTimeMs
        self.validators = validators.map {
            ValidatorEntry(id: $0.id.index, publicKey: $0.publicKey.hex, p2pAddress: $0.p2pAddress, rpcAddress: $0.rpcAddress)
        }
        self.accounts = accounts.map { AccountEntry(address: $0.address.string, balance: String($0.balance)) }
        consensus = ConsensusEntry(
            maxBatchTxs: p.maxBatchTransactions, maxBatchBytes: p.maxBatchBytes, batchDelayMs: p.batchDelayMs,
            checkpointInterval: p.checkpointInterval, window: p.window, viewChangeTimeoutMs: p.viewChangeTimeoutMs,
            maxClockDriftMs: p.maxClockDriftMs)
        testNetwork = isTestNetwork
        draft = isDraft ? true : nil
    }

    init(_ g: Genesis) {
        self.init(
            chainID: g.chainID, genesisTimeMs: g.genesisTimeMs, validators: g.validators, accounts: g.accounts,
            consensus: g.consensus, isTestNetwork: g.isTestNetwork, isDraft: false)
    }

    func genesis() throws(GenesisError) -> Genesis {
        try Genesis(
            chainID: chainID, genesisTimeMs: genesisTime, validators: typedValidators(), accounts: typedAccounts(),
            consensus: parameters, isTestNetwork: testNetwork)
    }

    /// The validator entries parsed (ids in order, keys valid); the other checks are `Genesis`'s.
    func typedValidators() throws(GenesisError) -> [Validator] {
        var typed: [Validator] = []
        for (position, v) in validators.enumerated() {
            if v.id != position { throw .validatorIDOutOfOrder(position: position, id: v.id) }
            let key = try Validator.publicKey(hex: v.publicKey, id: v.id)
            typed.append(Validator(id: ReplicaID(v.id), publicKey: key, p2pAddress: v.p2pAddress, rpcAddress: v.rpcAddress))
        }
        return typed
    }

    /// The account entries parsed (addresses and balances); the other checks are `Genesis`'s.
    func typedAccounts() throws(GenesisError) -> [GenesisAccount] {
        if accounts.count > Limits.genesisAccountsMax {
            throw .tooManyAccounts(count: accounts.count, maximum: Limits.genesisAccountsMax)
        }
        var typed: [GenesisAccount] = []
        typed.reserveCapacity(accounts.count)
        for (i, a) in accounts.enumerated() {
            typed.append(try GenesisAccount(address: a.address, balance: a.balance, index: i))
        }
        return typed
    }

    /// The consensus parameters (checked by `ConsensusParameters.validate()`).
    var parameters: ConsensusParameters {
        ConsensusParameters(
            maxBatchTransactions: consensus.maxBatchTxs, maxBatchBytes: consensus.maxBatchBytes,
            batchDelayMs: consensus.batchDelayMs, checkpointInterval: consensus.checkpointInterval,
            window: consensus.window, viewChangeTimeoutMs: consensus.viewChangeTimeoutMs,
            maxClockDriftMs: consensus.maxClockDriftMs)
    }
}

struct ValidatorEntry: Codable {
    var id: Int
    var publicKey: String
    var p2pAddress: String
    var rpcAddress: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, publicKey = "public_key", p2pAddress = "p2p_address", rpcAddress = "rpc_address"
    }

    init(id: Int, publicKey: String, p2pAddress: String, rpcAddress: String?) {
        self.id = id
        self.publicKey = publicKey
        self.p2pAddress = p2pAddress
        self.rpcAddress = rpcAddress
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Int.self, forKey: .id)
        publicKey = try c.decode(String.self, forKey: .publicKey)
        p2pAddress = try c.decode(String.self, forKey: .p2pAddress)
        rpcAddress = try c.decodeIfPresent(String.self, forKey: .rpcAddress)
    }
}

struct AccountEntry: Codable {
    var address: String
    var balance: String

    enum CodingKeys: String, CodingKey, CaseIterable { case address, balance }

    init(address: String, balance: String) {
        self.address = address
        self.balance = balance
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        address = try c.decode(String.self, forKey: .address)
        balance = try c.decode(String.self, forKey: .balance)
    }
}

struct ConsensusEntry: Codable {
    var maxBatchTxs: Int
    var maxBatchBytes: Int
    var batchDelayMs: UInt64
    var checkpointInterval: UInt64
    var window: UInt64
    var viewChangeTimeoutMs: UInt64
    var maxClockDriftMs: UInt64

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxBatchTxs = "max_batch_txs", maxBatchBytes = "max_batch_bytes", batchDelayMs = "batch_delay_ms"
        case checkpointInterval = "checkpoint_interval", window, viewChangeTimeoutMs = "view_change_timeout_ms"
        case maxClockDriftMs = "max_clock_drift_ms"
    }

    init(
        maxBatchTxs: Int, maxBatchBytes: Int, batchDelayMs: UInt64, checkpointInterval: UInt64, window: UInt64,
        viewChangeTimeoutMs: UInt64, maxClockDriftMs: UInt64
    ) {
        self.maxBatchTxs = maxBatchTxs
        self.maxBatchBytes = maxBatchBytes
        self.batchDelayMs = batchDelayMs
        self.checkpointInterval = checkpointInterval
        self.window = window
        self.viewChangeTimeoutMs = viewChangeTimeoutMs
        self.maxClockDriftMs = maxClockDriftMs
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxBatchTxs = try c.decode(Int.self, forKey: .maxBatchTxs)
        maxBatchBytes = try c.decode(Int.self, forKey: .maxBatchBytes)
        batchDelayMs = try c.decode(UInt64.self, forKey: .batchDelayMs)
        checkpointInterval = try c.decode(UInt64.self, forKey: .checkpointInterval)
        window = try c.decode(UInt64.self, forKey: .window)
        viewChangeTimeoutMs = try c.decode(UInt64.self, forKey: .viewChangeTimeoutMs)
        maxClockDriftMs = try c.decode(UInt64.self, forKey: .maxClockDriftMs)
    }
}
