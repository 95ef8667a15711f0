import LedgerCore
import LedgerCrypto
import PBFT

/// A hook into a validator's own traffic, for test networks only (`ledger-node start --byzantine`):
/// the driver runs the real replica unchanged and routes what it sends, what it is fed and what it
/// gossips through the interceptor. The production node holds none (`LedgerNode.intercept(with:)`
/// refuses unless the genesis is a test network); `ledger-node` builds one from the `Adversary`
/// module's strategies, so this module does not depend on them.
public protocol MessageInterceptor {
    /// A short name for the log line that announces the interceptor.
    var name: String { get }

    /// Sees each verified message the replica receives.
    mutating func observe(incoming message: LedgerMessage)

    /// Filters admitted transactions before the replica sees them.
    mutating func filter(requests: [Transaction]) -> [Transaction]

    /// Turns one message the replica wants to send to `recipients` (never itself) at `nowMs`
    /// into what actually goes out.
    mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], nowMs: UInt64) -> [InterceptedMessage]

    /// Chooses who receives transactions this validator passes on (`recipients`: every other
    /// validator for client gossip, the primary for relays; `primary`: the current view's primary).
    mutating func gossipRecipients(_ transactions: [Transaction], to recipients: [ReplicaID], primary: ReplicaID) -> [ReplicaID]
}

/// One message an interceptor puts on the wire.
public struct InterceptedMessage: Sendable {
    /// The message (possibly forged, re-signed or corrupted by the interceptor).
    public var message: LedgerMessage
    /// Who receives it (the driver never sends to itself).
    public var recipients: [ReplicaID]
    /// How long to hold it before sending, in milliseconds (0 = now; capped at
    /// `NodeLimits.interceptedDelayMaxMs`).
    public var delayMs: UInt64

    /// A message for `recipients`, sent after `delayMs`.
    public init(_ message: LedgerMessage, to recipients: [ReplicaID], delayMs: UInt64 = 0) {
        self.message = message
        self.recipients = recipients
        self.delayMs = delayMs
    }
}
