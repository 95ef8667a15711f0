import Foundation
import LedgerCore
import LedgerCrypto
import P2P
import RPC
import Synchronization

/// Feeds the node's Prometheus metrics (`RPCMetrics`, rendered at `GET /metrics`) from the driver's events, and
/// times transactions admitted through this node's RPC until their block is applied here.
final class NodeMetrics: Sendable {
    /// The registry-backed metrics.
    let metrics: RPCMetrics
    /// Admission instants of transactions submitted here and not yet seen committed (bounded).
    private let admissions = Mutex<[Digest: UInt64]>([:])
    /// Most admissions remembered for the latency histogram; beyond it the oldest half is forgotten.
    static let admissionsTracked = 100_000

    init(metrics: RPCMetrics) { self.metrics = metrics }

    private static func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// A transaction was admitted through RPC.
    func admitted(_ hash: Digest) {
        let now = Self.nowNs()
        admissions.withLock { table in
            if table.count >= Self.admissionsTracked {
                let cutoff = table.values.sorted()[table.count / 2]
                table = table.filter { $0.value > cutoff }
            }
            table[hash] = now
        }
    }

    /// Scraped values, set just before `/metrics` renders.
    func scraped(height: UInt64, mempool: Int, votesWithheldUntil: UInt64, viewChangesAbandoned: Int, view: UInt64,
                 signatures: (hits: UInt64, checks: UInt64), droppedPeerMessages: Int, droppedBeforeVerification: Int,
                 refusedOffSignerLink: Int, transport: PeerNetworkMetrics, gossip: GossipBudgets,
                 seat: ConsensusSeat, otherEpochMessages: Int) {
        metrics.setTotals(transport.prometheusTotals + [
            // Decision 0038: the epoch the consensus core runs, its set's size, and messages of an epoch not held.
            ("ledger_epoch", nil, Int(clamping: seat.epoch)),
            ("ledger_validators", nil, seat.validators.count),
            ("ledger_peer_messages_other_epoch", nil, otherEpochMessages),
            ("ledger_peer_messages_dropped_before_verification", nil, droppedBeforeVerification),
            ("ledger_peer_messages_refused_off_signer_link", nil, refusedOffSignerLink),
            ("ledger_view_changes_abandoned", nil, viewChangesAbandoned),
        ])
        metrics.setLabelledTotals(gossip.prometheusTotals)
        metrics.setPeerIntake(signatureChecks: signatures.checks, cacheHits: signatures.hits, dropped: droppedPeerMessages)
        metrics.setHeight(height)
        metrics.setMempoolSize(mempool)
        metrics.setVotesWithheldUntil(votesWithheldUntil)
        metrics.setPeersConnected(transport.connectedOutbound.count)
        metrics.viewChanged(to: view, counted: false)
    }

    /// Follows `events` until they finish (node shutdown). Returns the task doing it.
    func observe(_ events: NodeEvents) -> Task<Void, Never> {
        let (_, stream) = events.subscribe(buffer: 4096)
        return Task.detached { [self] in
            for await event in stream {
                switch event {
                case let .blockCommitted(block):
                    metrics.blockCommitted(height: block.height.rawValue, transactions: block.transactions.count)
                    let now = Self.nowNs()
                    let hashes = block.transactions.map(\.hash)
                    let started = admissions.withLock { table in hashes.compactMap { table.removeValue(forKey: $0) } }
                    for t in started { metrics.observeCommitLatency(nanoseconds: Int64(clamping: now &- t)) }
                case let .viewChanged(view, _):
                    metrics.viewChanged(to: view.rawValue)
                case .evidence:
                    metrics.evidenceSeen()
                case let .stateTransfer(height, target):
                    metrics.stateTransfer(height: height.rawValue, target: target.rawValue)
                }
            }
        }
    }
}

extension PeerNetworkMetrics {
    /// The transport's counters as `/metrics` names them (`ledger_p2p_*`), failures by reason.
    var prometheusTotals: [(name: String, reason: String?, value: Int)] {
        var totals: [(name: String, reason: String?, value: Int)] = [
            ("ledger_p2p_frames_in", nil, framesIn), ("ledger_p2p_frames_out", nil, framesOut),
            ("ledger_p2p_bytes_in", nil, bytesIn), ("ledger_p2p_bytes_out", nil, bytesOut),
            ("ledger_p2p_send_queue_drops", nil, sendQueueDrops),
            ("ledger_p2p_dropped_while_peer_down", nil, droppedWhilePeerDown),
            ("ledger_p2p_receive_queue_drops", nil, receiveQueueDrops), ("ledger_p2p_sends_refused", nil, sendsRefused),
            ("ledger_p2p_inbound_refused", nil, inboundRefused), ("ledger_p2p_connect_attempts", nil, connectAttempts),
            ("ledger_p2p_inbound_connected", nil, connectedInbound.count),
            ("ledger_p2p_inbound_evicted", nil, inboundEvicted),
            ("ledger_p2p_read_pauses", nil, readPauses), ("ledger_p2p_receive_pending_bytes", nil, receivePendingBytes),
            ("ledger_p2p_worst_case_bytes", nil, worstCaseBytes),
            ("ledger_p2p_full_nodes_connected", nil, connectedFullNodes.count),
            ("ledger_p2p_full_nodes_refused", nil, fullNodesRefusedFull),
            ("ledger_p2p_closed_by_set_change", nil, closedBySetChange),
            ("ledger_p2p_stale_connection_drops", nil, staleConnectionDrops),
        ]
        for (reason, count) in inboundRefusals.sorted(by: { $0.key < $1.key }) {
            totals.append(("ledger_p2p_inbound_refusals", reason, count))
        }
        for (reason, count) in handshakeFailures.sorted(by: { $0.key < $1.key }) {
            totals.append(("ledger_p2p_handshake_failures", reason, count))
        }
        for (reason, count) in frameFailures.sorted(by: { $0.key < $1.key }) {
            totals.append(("ledger_p2p_frame_failures", reason, count))
        }
        return totals
    }
}
