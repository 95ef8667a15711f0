import LedgerCore
import P2P

/// The workers for the validators' messages, two lanes per validator (see `LedgerNode.startMessagePump`), each
/// opened on the validator's first message: a validator that joins the set after a change gets its lanes the
/// same way as one of genesis. A validator id names a position in the current set, so after a change that
/// renumbers the set a lane serves the id's new holder (each message is checked against its own epoch's keys).
/// Used only by the message pump (one task).
final class ValidatorLanes: @unchecked Sendable {
    // @unchecked: only the message pump's task calls `route` and `finish`.
    private let node: LedgerNode
    private var lanes: [Int: PeerLanePair] = [:]

    init(node: LedgerNode) { self.node = node }

    /// Hands `message` (from a validator) to its lane; gossip past the lane's bound is dropped undecoded.
    func route(_ message: PeerMessage) {
        let network = node.network
        let lanes = self.lanes[message.from.index] ?? open(message.from.index)
        guard PeerWorker.isGossip(message.bytes) else {
            lanes.consensus.yield(message)
            return
        }
        guard lanes.bound.take(message) else {
            network.consumed(message)
            let dropped = node.driver.droppedFromFullQueues.add(1, ordering: .relaxed).newValue
            if dropped == 1 || dropped % 10_000 == 0 {
                node.logger.warning("a peer's gossip lane is full: dropping its gossip undecoded", metadata: [
                    "peer": "\(message.from)", "dropped_total": "\(dropped)",
                ])
            }
            return
        }
        lanes.gossip.yield(message)
    }

    /// Ends every lane (the pump is done).
    func finish() {
        for l in lanes.values { l.consensus.finish(); l.gossip.finish() }
        lanes.removeAll()
    }

    private func open(_ peer: Int) -> PeerLanePair {
        let opened = PeerLanePair(worker: node.makePeerWorker(for: peer), network: node.network)
        lanes[peer] = opened
        return opened
    }
}
