/// Why a genesis file was refused. Every case names the offending entry so it can be fixed.
public enum GenesisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file at `path` could not be read (`reason` from the system).
    case unreadableFile(path: String, reason: String)
    /// The file is `size` bytes, more than the `maximum` accepted.
    case fileTooLarge(size: Int, maximum: Int)
    /// The text is not JSON of the expected shape; `reason` names the key path.
    case invalidJSON(reason: String)
    /// The object at `path` has the key `key`, which genesis files do not use (typo?).
    case unknownField(path: String, key: String)
    /// `chain_id` breaks the chain-id rules; `reason` says how.
    case invalidChainID(reason: String)
    /// There are `count` validators; the count must be at least `Limits.validatorsMin` (f ≥ 1) and at most `maximum`.
    case invalidValidatorCount(count: Int, maximum: Int)
    /// The validator at array position `position` has id `id`; ids must be 0, 1, 2, … in order.
    case validatorIDOutOfOrder(position: Int, id: Int)
    /// Validator `id`'s `public_key` is not 64 hex characters of a valid Ed25519 key.
    case invalidValidatorKey(id: Int, reason: String)
    /// Validators `id` and `otherID` share a public key.
    case duplicateValidatorKey(id: Int, otherID: Int)
    /// Validator `id`'s `field` (`p2p_address` or `rpc_address`) value `value` is not `host:port`.
    case invalidNetworkAddress(id: Int, field: String, value: String, reason: String)
    /// Validators `id` and `otherID` have the same `p2p_address`.
    case duplicateNetworkAddress(id: Int, otherID: Int, address: String)
    /// A draft has `count` validators; at most `maximum` are allowed.
    case tooManyValidators(count: Int, maximum: Int)
    /// There is no validator `id`; the ids are 0..<`count`.
    case unknownValidator(id: Int, count: Int)
    /// The file is a draft (`"draft": true`) still being assembled; nodes load only a finalized genesis.
    case draftNotFinalized
    /// The file is a finalized genesis; validators and accounts are added to a draft only.
    case notADraft
    /// The validator hand-over file at `path` (written by `ledger-node init`) is unusable; `reason` says why.
    case invalidHandover(path: String, reason: String)
    /// There are `count` accounts; at most `maximum` are allowed.
    case tooManyAccounts(count: Int, maximum: Int)
    /// Account entry `index` has an invalid `address`.
    case invalidAccountAddress(index: Int, error: AddressError)
    /// Account entries `index` and `firstIndex` have the same address.
    case duplicateAccount(index: Int, firstIndex: Int, address: String)
    /// Account entry `index`'s `balance` `value` is not a positive decimal integer ≤ 18446744073709551615 without leading zeros.
    case invalidBalance(index: Int, value: String)
    /// The balances add up to more than `UInt64.max`.
    case totalSupplyOverflow
    /// Consensus parameter `name` is `value`; `requirement` says what it must be.
    case invalidConsensusParameter(name: String, value: UInt64, requirement: String)

    /// A message saying what is wrong and how to fix it.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason): return "cannot read genesis file \(path): \(reason)"
        case let .fileTooLarge(size, maximum): return "genesis file is \(size) bytes; at most \(maximum) are accepted"
        case let .invalidJSON(reason): return "genesis is not valid: \(reason)"
        case let .unknownField(path, key): return "genesis \(path) has unknown field '\(key)' (typo?)"
        case let .invalidChainID(reason): return "genesis chain_id is invalid: \(reason)"
        case let .invalidValidatorCount(count, maximum):
            return "genesis has \(count) validator\(count == 1 ? "" : "s"); need at least \(Limits.validatorsMin) (to tolerate f >= 1 faulty) and at most \(maximum)"
        case let .validatorIDOutOfOrder(position, id):
            return "validator at position \(position) has id \(id); ids must be 0, 1, 2, ... in order"
        case let .invalidValidatorKey(id, reason): return "validator \(id) public_key is invalid: \(reason)"
        case let .duplicateValidatorKey(id, otherID): return "validators \(otherID) and \(id) have the same public_key"
        case let .invalidNetworkAddress(id, field, value, reason):
            return "validator \(id) \(field) '\(value)' is not host:port: \(reason)"
        case let .duplicateNetworkAddress(id, otherID, address):
            return "validators \(otherID) and \(id) have the same p2p_address \(address)"
        case let .tooManyValidators(count, maximum): return "genesis would have \(count) validators; at most \(maximum) are allowed"
        case let .unknownValidator(id, count):
            return "there is no validator \(id); this genesis has \(count) (ids 0...\(max(count - 1, 0)))"
        case .draftNotFinalized:
            return "genesis is a draft (\"draft\": true) still being assembled; the coordinator finishes it with "
                + "'ledger-node genesis finalize FILE' and hands out the result"
        case .notADraft:
            return "genesis is finalized (it has no \"draft\": true): its validators and accounts are the chain's identity; "
                + "start a new draft with 'ledger-node genesis new' to make a different chain"
        case let .invalidHandover(path, reason): return "validator hand-over file \(path) is unusable: \(reason)"
        case let .tooManyAccounts(count, maximum): return "genesis has \(count) accounts; at most \(maximum) are allowed"
        case let .invalidAccountAddress(index, error): return "account \(index) address is invalid: \(error)"
        case let .duplicateAccount(index, firstIndex, address):
            return "accounts \(firstIndex) and \(index) both have address \(address)"
        case let .invalidBalance(index, value):
            return "account \(index) balance '\(value)' must be a positive decimal integer string at most 18446744073709551615, without sign or leading zeros"
        case .totalSupplyOverflow: return "account balances add up to more than 18446744073709551615"
        case let .invalidConsensusParameter(name, value, requirement):
            return "consensus.\(name) is \(value); it must be \(requirement)"
        }
    }
}
