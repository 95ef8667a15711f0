import LedgerCore
import LedgerCrypto
import PBFT

/// Traffic a run counts to judge the relay of held requests and the reply limits: answers honest
/// replicas sent (to each other, and to Byzantine replicas), messages refused for arriving off
/// their signer's link, and requests relayed to a primary.
public struct TrafficTally: Hashable, Sendable {
    /// Answers (COMMITTED-BATCH, NEW-VIEW, VIEW-CHANGE, CHECKPOINT, FETCHED-BATCH sent to one
    /// replica) from an honest replica to another honest replica.
    public var repliesBetweenHonest = 0
    /// The same answers from an honest replica to a Byzantine one.
    public var repliesToByzantine = 0
    /// Messages a receiver refused because a kind that must come from its signer arrived on
    /// another replica's link (`Message.mustArriveFromSigner`).
    public var refusedOffSignerLink = 0
    /// Requests honest backups relayed to a primary.
    public var requestsRelayed = 0

    /// All zero.
    public init() {}

    /// Whether a point-to-point `message` is an answer to a peer's STATUS, VIEW-CHANGE or
    /// BATCH-FETCH (the kinds `Replica` sends only in reply).
    static func isReply(_ message: LedgerMessage) -> Bool {
        switch message {
        case .committedBatch, .newView, .viewChange, .checkpoint, .fetchedBatch: true
        case .prePrepare, .prepare, .commit, .status, .batchFetch: false
        }
    }
}
