/// How a refused change is recorded in its receipt: a rule number and the rule's figure, so the
/// receipt stays a fixed size and every node writes the same bytes.
extension ValidatorSetChangeError {
    /// The rule the receipt names (0: a refusal execution never produces).
    public var receiptRule: UInt64 {
        switch self {
        case .wrongChain: 1
        case .wrongEpoch: 2
        case .changePending: 3
        case .operationCount: 4
        case .tooManyApprovals: 5
        case .invalidAddress: 6
        case .repeatedKey: 7
        case .repeatedAddress: 8
        case .notAValidator: 9
        case .tooManyReplaced: 10
        case .resultingSetSize: 11
        case .approvalFromOutsider: 12
        case .notEnoughApprovals: 13
        case .invalidApproval: 14
        case .noBoundary: 15
        case .invalidChainID, .invalidFile, .invalidJSON, .differentChange: 0
        }
    }

    /// The figure the receipt carries with the rule (0 when the rule has none).
    public var receiptDetail: UInt64 {
        switch self {
        case let .wrongEpoch(_, current): current
        case let .changePending(last): last
        case let .tooManyReplaced(_, maximum): UInt64(clamping: maximum)
        case let .resultingSetSize(count, _, _): UInt64(clamping: count)
        case let .notEnoughApprovals(_, quorum): UInt64(clamping: quorum)
        default: 0
        }
    }

    /// The receipt's failure for this refusal.
    public var failureReason: FailureReason { .changeRefused(rule: receiptRule, detail: receiptDetail) }

    /// A sentence for a receipt's rule and figure.
    public static func receiptDescription(rule: UInt64, detail: UInt64) -> String {
        let what: String = switch rule {
        case 1: "it is for another chain"
        case 2: "it is for another epoch (the current epoch is \(detail))"
        case 3: "another change is pending until block \(detail)"
        case 4: "it has too many operations"
        case 5: "it has too many approvals"
        case 6: "an added validator's address is invalid"
        case 7: "a key appears twice"
        case 8: "an added validator's p2p_address is taken"
        case 9: "it removes or re-keys a key that is not a validator"
        case 10: "it removes or re-keys more than f = \(detail) validators"
        case 11: "the new set would have \(detail) validators (4 to 100 allowed)"
        case 12: "an approval is from outside the current set"
        case 13: "fewer approvals than the quorum \(detail)"
        case 14: "an approval does not verify"
        case 15: "its epoch boundary would overflow"
        default: "rule \(rule)"
        }
        return "the validator-set change was refused: \(what)"
    }
}
