import Dispatch
import LedgerCore
import LedgerCrypto
import Logging
import Synchronization

/// Why a peer's message was refused after it arrived (before or in verification).
enum PeerRefusal: String, CaseIterable, Sendable {
    /// The envelope's kind byte is unknown.
    case unknownKind = "unknown_kind"
    /// A consensus message did not decode or verify.
    case consensus
    /// A transaction gossip frame did not split into transactions.
    case malformedGossip = "malformed_gossip"
    /// A block request did not decode.
    case malformedBlockRequest = "malformed_block_request"
    /// A block response did not decode.
    case malformedBlockResponse = "malformed_block_response"
    /// A full node sent what only a validator may send (a consensus message or a block response).
    case notFromAValidator = "not_from_a_validator"
    /// A full node asked for blocks faster than `NodeLimits.fullNodeBlockRequestsPerSecond`.
    case overRate = "over_rate"
    /// A gossiped validator-set change did not decode, or the chain's rule refused it.
    case refusedChange = "refused_change"
}

/// Counts refused peer messages by peer and reason (`ledger_peer_messages_refused{peer,reason}` on
/// `/metrics`) and logs them rate-limited: the first at once, then at most one line per
/// `NodeLimits.peerRefusalLogIntervalMs` carrying the counts since the previous line, so a Byzantine
/// peer cannot flood the log. Shared by every peer worker of a node.
final class PeerRefusals: Sendable {
    private let throttle = Mutex(LogThrottle(intervalMs: Int64(NodeLimits.peerRefusalLogIntervalMs)))
    private let counts = Mutex<[PeerKey: Int]>([:])

    private struct PeerKey: Hashable {
        var peer: ReplicaID
        var reason: PeerRefusal
    }

    /// Counts one refusal of `peer`'s message and logs it at `notice` when a line is due.
    func refused(_ reason: PeerRefusal, from peer: ReplicaID, error: (any Error)? = nil, logger: Logger) {
        counts.withLock { $0[PeerKey(peer: peer, reason: reason), default: 0] += 1 }
        let now = DispatchTime.now().uptimeNanoseconds
        guard let report = throttle.withLock({ $0.note("\(reason.rawValue)@\(peer)", nowNs: now) }) else { return }
        var metadata: Logger.Metadata = ["peer": "\(peer)", "reason": "\(reason.rawValue)", "refused": "\(report.summary)"]
        if let error { metadata["error"] = "\(error)" }
        logger.notice("refused peer messages", metadata: metadata)
    }

    /// Refusals since start, by peer and reason.
    func total(from peer: ReplicaID, _ reason: PeerRefusal) -> Int {
        counts.withLock { $0[PeerKey(peer: peer, reason: reason)] ?? 0 }
    }

    /// The counts as labelled Prometheus totals, every peer that was refused and every reason.
    var prometheusTotals: [(name: String, labels: [(String, String)], value: Int)] {
        let table = counts.withLock { $0 }
        let peers = Set(table.keys.map(\.peer)).sorted()
        return peers.flatMap { peer in
            PeerRefusal.allCases.map { reason in
                ("ledger_peer_messages_refused",
                 [("peer", peer.index == GossipBudgets.fullNodesKey ? "full_nodes" : "\(peer.index)"), ("reason", reason.rawValue)],
                 table[PeerKey(peer: peer, reason: reason)] ?? 0)
            }
        }
    }
}
