// The run: simulated clients submitting signed transfers and the mempool handing them to replicas.
import LedgerCore
import LedgerCrypto
import PBFT

extension SimulationRun {
    /// A client submits its next transfer if it has room, then waits a random interval.
    func clientTick(_ c: Int) {
        if clients[c].canSubmit && clients.count > 1 {
            var recipient = random.index(clients.count - 1)
            if recipient >= c { recipient += 1 }
            let tx = clients[c].makeTransfer(
                to: clients[recipient].address, amount: random.inRange(1...1_000), chainID: parameters.chainID)
            liveness.recordSubmitted(tx.hash, at: now)
            broadcastRequest(tx)
        }
        queue.schedule(.clientTick(client: c), at: now.advanced(by: random.inRange(SimulationLimits.clientIntervalMs)))
    }

    /// A client re-sends what is still uncommitted (a replica may have crashed and lost it).
    func clientRetry(_ c: Int) {
        for tx in clients[c].pending { broadcastRequest(tx) }
        queue.schedule(.clientRetry(client: c), at: now.advanced(by: parameters.clientRetryMs))
    }

    /// The transaction reaches every replica's mempool after a network delay (mempool gossip
    /// retries, so it is not lost), or, when a Byzantine replica attracts the clients, that
    /// replica and whoever it gossips it to.
    private func broadcastRequest(_ tx: Transaction) {
        if let entry = clientEntry {
            let hop = wireDelay()
            queue.schedule(.requestArrives(entry, tx), at: now.advanced(by: hop))
            passOn([tx], from: entry, to: otherNodes(of: entry, epoch: nodes[entry.index].epoch), after: hop)
            return
        }
        for r in 0..<nodes.count {
            queue.schedule(.requestArrives(ReplicaID(r), tx), at: now.advanced(by: wireDelay()))
        }
    }

    /// Node `id` passes client transactions on to the nodes `recipients` (its mempool gossip, or a relay
    /// to the primary), each after a network delay, through its Byzantine behaviour if it has
    /// one. `after` delays the start (the client's hop to `id`).
    func passOn(_ txs: [Transaction], from id: ReplicaID, to recipients: [ReplicaID], after: UInt64 = 0) {
        var targets = recipients
        if nodes[id.index].behaviour != nil, let replica = nodes[id.index].replica {
            let epoch = nodes[id.index].epoch
            let primary = node(of: replica.view.primary(replicaCount: validatorCount(epoch: epoch)), epoch: epoch) ?? ReplicaID(0)
            targets = nodes[id.index].behaviour!.gossipRecipients(txs, to: recipients, primary: primary)
        }
        for r in targets where r != id {
            let at = now.advanced(by: after).advanced(by: wireDelay())
            for tx in txs { queue.schedule(.requestArrives(r, tx), at: at) }
        }
    }

    /// The mempool checks the signature (once per run per transaction) and, as the node's does, refuses a
    /// transaction whose nonce this replica's state already used (committed: a client's retry, or gossip that
    /// arrives after a restart emptied the replica's memory of executed requests); it hands the rest to the
    /// replica, through the Byzantine filter if there is one.
    func requestArrives(_ id: ReplicaID, _ tx: Transaction) {
        guard nodes[id.index].isUp, tx.chainID == parameters.chainID, signatureCache.isValid(tx) else { return }
        if let account = nodes[id.index].ledger.accounts.account(tx.sender), tx.nonce < account.nonce { return }
        var requests = [tx]
        if nodes[id.index].behaviour != nil {
            requests = nodes[id.index].behaviour!.filter(requests: requests)
            if requests.isEmpty { return }
        }
        feed(id, .requests(requests.map(LedgerRequest.transfer)))
    }
}
