import LedgerCrypto
import Logging
import NIOCore

extension PeerNetwork {
    /// Switches the running network to the next validator set at an epoch boundary (decision 0038), without a
    /// restart. The node calls it on every member of the old and the new set once the boundary is reached.
    ///
    /// - `validators` is the new set (an id is an index in it), `localID` our index in it — or, if we left it, the
    ///   full-node id of our key (`PeerID(fullNodeKey:)`) — `signingKey` our new key if ours was rotated, and
    ///   `addresses` where to dial the members of the new set.
    /// - From the call on, every handshake is checked against the new set only: an id no longer in it is refused
    ///   as `unknown_validator`, a key at another index as `wrong_key`. An inbound handshake that began under the
    ///   old set is closed when it completes (`closedBySetChange`).
    /// - A link is kept, with no redial, when its peer has the same (id, key) in both sets and so do we. Every
    ///   other link and inbound connection is closed (`closedBySetChange`); what was queued for or is in flight
    ///   from the id's old holder is lost, which PBFT's retransmission covers. A link whose id is still in the set
    ///   redials at once the new holder of that id; peers new to us get new links (`connect(to:)`'s machinery).
    /// - The two ends of a link do not switch at the same instant: until both have, their handshakes are refused
    ///   and redialled with the link's back-off (an inbound connection from the peer cuts the back-off short).
    ///   The refusals are counted by reason and logged at most every `refusalLogIntervalMs`.
    /// - Leaving the set, the node stops listening and dials the new set as a full node (served if their
    ///   `FullNodePolicy` admits its key). Joining the set from a dial-only full node, call `start()` after this to
    ///   listen for the validators' dials.
    ///
    /// Throws `notRunning` unless the network runs, and `invalidConfiguration` for a set `NetworkIdentity` refuses
    /// (our id not in it with our key, too many validators, …); then nothing changes.
    public func replaceValidatorSet(
        _ validators: [PeerID: PublicKey], localID: PeerID, signingKey: SigningKey? = nil,
        addresses: [PeerID: PeerAddress]
    ) throws(TransportError) {
        var logger = self.logger
        logger[metadataKey: "replica"] = "\(localID)"
        let initializer = makeInitializer()
        let outcome: Result<SetChange, TransportError> = state.withLock { state in
            guard state.phase == .running else { return .failure(.notRunning) }
            let next: NetworkIdentity
            do throws(TransportError) {
                next = try state.identity.replacingValidators(validators, localID: localID, signingKey: signingKey, limits: limits)
            } catch {
                return .failure(error)
            }
            var change = SetChange(previous: state.identity)
            state.identity = next
            state.identityRevision &+= 1
            state.admission.resize(limits: limits, validatorCount: next.validators.count)
            let keeps = change.keeps(next: next)
            for (peer, channel) in state.inbound where !keeps(peer) {
                state.inbound[peer] = nil
                state.gates[peer] = nil
                change.closedInbound.append(channel)
                counters.update {
                    _ = $0.connectedInbound.remove(peer)
                    _ = $0.connectedFullNodes.remove(peer)
                }
            }
            for (peer, link) in state.links {
                if keeps(peer) {
                    change.kept += 1
                } else if link.dials, peer != next.localID, next.validators[peer] != nil, let address = addresses[peer] {
                    change.redialled.append((link, address))
                } else {
                    state.links[peer] = nil
                    change.stopped.append(link)
                    counters.update { _ = $0.connectedFullNodes.remove(peer) }  // `stop` updates `connectedOutbound`
                }
            }
            if next.isFullNode {
                change.server = state.server  // a full node listens nowhere
                state.server = nil
            }
            (change.fresh, change.unknown) = addLinks(to: addresses, in: &state, initializer: initializer, logger: logger)
            counters.update { $0.closedBySetChange += change.closedInbound.count + change.redialled.count + change.stopped.count }
            return .success(change)
        }
        let change = try outcome.get()
        loggerBox.withLock { $0 = logger }
        logger.notice("validator set replaced", metadata: [
            "validators": "\(validators.count)", "previous_id": "\(change.previous.localID)",
            "kept_links": "\(change.kept)",
            "redialled": "\(change.redialled.count)", "new_links": "\(change.fresh.count)",
            "closed_links": "\(change.stopped.count)", "closed_inbound": "\(change.closedInbound.count)",
        ])
        for peer in change.unknown { logger.warning("ignoring address of unknown validator \(peer)") }
        for link in change.stopped { _ = link.stop() }
        for channel in change.closedInbound { channel.close(promise: nil) }
        change.server?.close(promise: nil)
        for (link, address) in change.redialled { link.reconnect(to: address, logger: logger) }
        for link in change.fresh { link.start() }
    }
}

/// What `PeerNetwork.replaceValidatorSet` decided under the lock, carried out after it.
private struct SetChange: Sendable {
    /// The identity replaced.
    let previous: NetworkIdentity
    /// Links left as they are.
    var kept = 0
    /// Inbound connections to close.
    var closedInbound: [Channel] = []
    /// Links whose id stays in the set with another holder (or we changed): they redial the new holder.
    var redialled: [(OutboundLink, PeerAddress)] = []
    /// Links to stop for good (their peer left, or a full node's).
    var stopped: [OutboundLink] = []
    /// Links to start (peers new to us), and the ids of `addresses` that are not in the new set.
    var fresh: [OutboundLink] = []
    var unknown: [PeerID] = []
    /// Our listening socket, to close when we left the set.
    var server: Channel?

    init(previous: NetworkIdentity) { self.previous = previous }

    /// Whether a connection to `peer`, authenticated under `previous`, still stands under `next`: the peer holds
    /// the same (id, key) in both and so do we. A full node stands while its key has not joined the set and we
    /// still serve full nodes (a validator).
    func keeps(next: NetworkIdentity) -> (PeerID) -> Bool {
        let previous = self.previous
        let unchangedSelf = previous.localID == next.localID && previous.signingKey.publicKey == next.signingKey.publicKey
        let joined = Set(next.validators.values.map { PeerID(fullNodeKey: $0) })
        return { peer in
            guard unchangedSelf else { return false }
            if peer.isFullNode { return !next.isFullNode && !joined.contains(peer) }
            return next.validators[peer] != nil && next.validators[peer] == previous.validators[peer]
        }
    }
}
