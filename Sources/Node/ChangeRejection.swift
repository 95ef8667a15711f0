import LedgerCore

/// Why a node refused a validator-set change submitted to it (shown to the operator over RPC).
public enum ChangeRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not one canonical change.
    case malformed(String)
    /// The chain's rule refuses it against the current set (`ValidatorSetChange.nextSet`), or
    /// another change is pending.
    case refused(ValidatorSetChangeError)
    /// Enough changes wait to be ordered already.
    case full(capacity: Int)
    /// A production chain: this version cannot switch its validators at the boundary yet, and a
    /// change would stop the chain there (decision 0038, issue 31).
    case notOnAProductionChain
    /// The node is shutting down.
    case shuttingDown

    public var description: String {
        switch self {
        case let .malformed(reason): "not a validator-set change: \(reason)"
        case let .refused(error): "\(error)"
        case let .full(capacity): "\(capacity) validator-set changes already wait to be ordered; try again later"
        case .notOnAProductionChain:
            "this node cannot switch validator sets at an epoch boundary yet, so it takes changes only on a test network "
                + "(genesis test_network); on a production chain the change would stop the chain at its boundary"
        case .shuttingDown: "the node is shutting down"
        }
    }

    /// A machine-readable reason for RPC clients.
    public var reason: String {
        switch self {
        case .malformed: "malformed"
        case .refused(.changePending): "change_pending"
        case .refused(.wrongEpoch): "wrong_epoch"
        case .refused(.notEnoughApprovals), .refused(.invalidApproval), .refused(.approvalFromOutsider): "not_approved"
        case .refused: "refused"
        case .full: "full"
        case .notOnAProductionChain: "not_on_a_production_chain"
        case .shuttingDown: "shutting_down"
        }
    }
}
