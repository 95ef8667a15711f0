import LedgerCrypto

/// Why a validator-set change was refused. Every case names what to fix.
public enum ValidatorSetChangeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The chain id is not a valid chain id.
    case invalidChainID(reason: String)
    /// The change is for another chain.
    case wrongChain(change: String, current: String)
    /// The change is signed for another epoch than the current one.
    case wrongEpoch(change: UInt64, current: UInt64)
    /// No operation, or more than the limit.
    case operationCount(Int, maximum: Int)
    /// More approvals than any validator set has members.
    case tooManyApprovals(Int, maximum: Int)
    /// An added validator's address is not `host:port`.
    case invalidAddress(key: PublicKey, field: String, value: String, reason: String)
    /// A key appears twice: added twice, added while in the set, rotated to a key in use, or one validator named by two operations.
    case repeatedKey(PublicKey)
    /// An added validator's P2P address is another validator's.
    case repeatedAddress(String)
    /// A removed or rotated key is not in the current set.
    case notAValidator(PublicKey)
    /// More validators removed or re-keyed than the current set tolerates faulty.
    case tooManyReplaced(Int, maximum: Int)
    /// The new set would be smaller than `Limits.validatorsMin` or larger than `Limits.validatorsMax`.
    case resultingSetSize(Int, minimum: Int, maximum: Int)
    /// An approval comes from a key outside the current set.
    case approvalFromOutsider(PublicKey)
    /// Fewer approving validators than the current set's quorum.
    case notEnoughApprovals(Int, quorum: Int)
    /// An approval's signature does not verify.
    case invalidApproval(PublicKey)
    /// Another accepted change is waiting for its boundary (one change per epoch).
    case changePending(lastSequence: UInt64)
    /// The boundary would overflow the sequence numbers.
    case noBoundary
    /// The change file could not be read.
    case invalidFile(path: String, reason: String)
    /// The change's JSON is malformed.
    case invalidJSON(reason: String)
    /// Two files hold different changes (ids differ) and cannot be combined.
    case differentChange(Digest, Digest)

    public var description: String {
        switch self {
        case let .invalidChainID(reason): "chain_id is invalid: \(reason)"
        case let .wrongChain(change, current): "the change is for chain '\(change)', this chain is '\(current)'"
        case let .wrongEpoch(change, current):
            "the change is signed for epoch \(change), the current epoch is \(current) (build and sign it again for epoch \(current))"
        case let .operationCount(count, maximum): "a change holds 1 to \(maximum) operations, this one \(count)"
        case let .tooManyApprovals(count, maximum): "a change holds at most \(maximum) approvals, this one \(count)"
        case let .invalidAddress(key, field, value, reason): "added validator \(key) \(field) '\(value)' is invalid: \(reason)"
        case let .repeatedKey(key): "key \(key) appears twice (in the set and the change, or twice in the change)"
        case let .repeatedAddress(address): "p2p_address \(address) is already another validator's"
        case let .notAValidator(key): "\(key) is not a validator of the current set"
        case let .tooManyReplaced(count, maximum):
            "the change removes or re-keys \(count) validators; at most f = \(maximum) may go at once (split it over several epochs)"
        case let .resultingSetSize(count, minimum, maximum): "the new set would have \(count) validators; it needs \(minimum) to \(maximum)"
        case let .approvalFromOutsider(key): "approval by \(key), which is not a validator of the current set"
        case let .notEnoughApprovals(count, quorum): "\(count) of the current validators approved; the quorum is \(quorum)"
        case let .invalidApproval(key): "the approval by \(key) does not verify (signed another change or another epoch?)"
        case let .changePending(last): "another change is pending until block \(last); submit this one after it took effect"
        case .noBoundary: "the epoch boundary would overflow the block heights"
        case let .invalidFile(path, reason): "change file \(path) is unusable: \(reason)"
        case let .invalidJSON(reason): "change is not valid: \(reason)"
        case let .differentChange(a, b): "the files hold different changes (id \(a.hex.prefix(16))… and \(b.hex.prefix(16))…)"
        }
    }
}
