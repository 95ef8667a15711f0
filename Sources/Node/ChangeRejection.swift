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
    /// The node is shutting down.
    case shuttingDown

    public var description: String {
        switch self {
        case let .malformed(reason): "not a validator-set change: \(reason)"
        case let .refused(error): "\(error)"
        case let .full(capacity): "\(capacity) validator-set changes already wait to be ordered; try again later"
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
        case .shuttingDown: "shutting_down"
        }
    }
}
