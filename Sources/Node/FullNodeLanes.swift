import LedgerCore
import P2P

/// A validator's workers for the full nodes connected to it, made when a full node first sends
/// something: like a validator peer, each gets a lane for block requests and one for relayed
/// transactions (sharing the `full_nodes` gossip budget), so one full node's backlog never delays
/// another's. Lanes of full nodes that are no longer connected are closed once there are more
/// lanes than the validator serves full nodes. Used only by the message pump (one task).
final class FullNodeLanes: @unchecked Sendable {
    // @unchecked: only the message pump's task calls `route` and `finish`.
    private struct Lanes {
        var requests: AsyncStream<PeerMessage>.Continuation
        var gossip: AsyncStream<PeerMessage>.Continuation
        var bound: GossipLaneBound
        /// Block requests this full node may still make now (refilled at `NodeLimits.fullNodeBlockRequestsPerSecond`).
        var requestTokens = Double(NodeLimits.fullNodeBlockRequestsPerSecond)
        var refilledAtMs: UInt64 = PeerWorker.monotonicMs()
    }

    private let node: LedgerNode
    private var lanes: [PeerID: Lanes] = [:]

    init(node: LedgerNode) { self.node = node }

    /// Hands `message` (from a full node) to its peer's lane, or drops it (consumed) when the gossip lane is full.
    func route(_ message: PeerMessage) {
        let network = node.network
        let peer = message.from
        var lanes = self.lanes[peer] ?? open(peer)
        if PeerWorker.isGossip(message.bytes) {
            guard lanes.bound.take(message) else {
                network.consumed(message)
                node.driver.droppedFromFullQueues.add(1, ordering: .relaxed)
                return
            }
            lanes.gossip.yield(message)
        } else {
            // Each block request costs this validator a read of up to a range of blocks: a full node gets a
            // bounded rate of them (a follower needs about one per probe interval, a catch-up a few per second).
            let now = PeerWorker.monotonicMs()
            let rate = Double(NodeLimits.fullNodeBlockRequestsPerSecond)
            lanes.requestTokens = min(rate, lanes.requestTokens + Double(now &- min(now, lanes.refilledAtMs)) * rate / 1000)
            lanes.refilledAtMs = now
            guard lanes.requestTokens >= 1 else {
                self.lanes[peer] = lanes
                network.consumed(message)
                node.peerRefusals.refused(.overRate, from: ReplicaID(GossipBudgets.fullNodesKey), logger: node.logger)
                return
            }
            lanes.requestTokens -= 1
            self.lanes[peer] = lanes
            lanes.requests.yield(message)
        }
    }

    /// Ends every lane (the pump is done).
    func finish() {
        for l in lanes.values { l.requests.finish(); l.gossip.finish() }
        lanes.removeAll()
    }

    private func open(_ peer: PeerID) -> Lanes {
        let network = node.network
        if lanes.count >= max(1, network.identity.fullNodes.maxConnected) {
            let connected = network.metrics.connectedFullNodes
            for (gone, l) in lanes where !connected.contains(gone) {
                l.requests.finish()
                l.gossip.finish()
                lanes[gone] = nil
            }
        }
        let worker = node.makePeerWorker(
            for: peer.index, gossipBudget: node.gossipBudgets.budget(for: GossipBudgets.fullNodesKey))
        let pair = PeerLanePair(worker: worker, network: network)
        let made = Lanes(requests: pair.consensus, gossip: pair.gossip, bound: pair.bound)
        lanes[peer] = made
        return made
    }
}

/// A peer's two lanes, each drained in order by its own task running `worker`: consensus (or block requests) and
/// gossip, whose waiting frames and bytes `bound` counts. Every message is handed back to the transport
/// (`PeerNetwork.consumed`) once its worker is done with it.
struct PeerLanePair {
    let consensus: AsyncStream<PeerMessage>.Continuation
    let gossip: AsyncStream<PeerMessage>.Continuation
    let bound: GossipLaneBound

    /// Opens both lanes and starts their tasks.
    init(worker: PeerWorker, network: PeerNetwork) {
        let (consensus, consensusIn) = AsyncStream<PeerMessage>.makeStream(bufferingPolicy: .unbounded)
        let (gossip, gossipIn) = AsyncStream<PeerMessage>.makeStream(bufferingPolicy: .unbounded)
        let bound = GossipLaneBound()
        Task.detached { await worker.run(consensus) { network.consumed($0) } }
        Task.detached {
            await worker.run(gossip) { message in
                bound.release(message)
                network.consumed(message)
            }
        }
        self.consensus = consensusIn
        self.gossip = gossipIn
        self.bound = bound
    }
}
