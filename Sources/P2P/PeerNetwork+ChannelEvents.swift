import LedgerCrypto
import Logging
import NIOCore
import Dispatch

/// What a `PeerNetwork` does when its connections report: handshakes refused, connections established and closed,
/// payloads received (counted against the peer's receive budget), and inbound connections admitted before any
/// handshake work.
extension PeerNetwork: PeerChannelDelegate {
    func handshakeFailed(_ error: HandshakeError, direction: ConnectionDirection, remote: SocketAddress?) {
        counters.update { $0.handshakeFailures[error.reason, default: 0] += 1 }
        guard error != .closedByPeer else { return }
        let nowNs = DispatchTime.now().uptimeNanoseconds
        guard let report = state.withLock({ $0.handshakeRefusalLog.note(error.reason, nowNs: nowNs) }) else { return }
        logger.warning("handshake refused: \(error)", metadata: [
            "reason": "\(error.reason)", "direction": "\(direction.rawValue)", "remote": "\(remote.map { "\($0)" } ?? "unknown")",
            "refused_since_last_log": "\(report.total)", "counts": "\(report.summary)",
        ])
    }

    func frameFailed(_ error: TransportError, peer: PeerID, direction: ConnectionDirection) {
        counters.update { $0.frameFailures[error.reason, default: 0] += 1 }
    }

    func channelEstablished(_ channel: Channel, peer: PeerID, direction: ConnectionDirection, identityRevision: UInt64) {
        switch direction {
        case .outbound:
            if identity.isFullNode { watchReads(of: channel, peer: peer) }
            link(for: peer)?.established(channel)
        case .inbound:
            if peer.isFullNode, !acceptFullNode(channel, peer: peer) { return }
            let (accepted, previous, straddled, orphan): (Bool, Channel?, Bool, OutboundLink?) = state.withLock { state in
                // Proven a validator: it leaves the unauthenticated table (its slot is reserved).
                if let id = state.admissionIDs.removeValue(forKey: ObjectIdentifier(channel)) {
                    state.admission.release(id)
                    state.unauthenticated[id] = nil
                }
                guard state.phase == .running else { return (false, nil, false, nil) }
                // Its Hello was checked against a validator set replaced since: it proved nothing about the current
                // one (a full node's link made for it just now goes with it).
                guard state.identityRevision == identityRevision else {
                    let orphan = peer.isFullNode ? state.links.removeValue(forKey: peer) : nil
                    counters.update {
                        $0.closedBySetChange += 1
                        if orphan != nil { _ = $0.connectedFullNodes.remove(peer) }
                    }
                    return (false, nil, true, orphan)
                }
                let old = state.inbound[peer]
                state.inbound[peer] = channel
                counters.update { _ = $0.connectedInbound.insert(peer) }
                return (true, old, false, nil)
            }
            guard accepted else {
                if straddled {
                    logger.debug("closing an inbound connection authenticated under the previous validator set", metadata: ["peer": "\(peer)"])
                }
                _ = orphan?.stop()
                channel.close(promise: nil)
                return
            }
            watchReads(of: channel, peer: peer)
            // A newer connection from the same validator (e.g. it restarted) replaces the old one.
            if let previous, previous !== channel { previous.close(promise: nil) }
            logger.info("inbound connection established", metadata: ["peer": "\(peer)"])
            if peer.isFullNode {
                link(for: peer)?.established(channel)
            } else {
                // It is up: answer it without waiting out our reconnect back-off.
                link(for: peer)?.peerIsUp()
            }
        }
    }

    /// Registers the read gate of the connection `peer`'s payloads arrive on (on its loop): a peer
    /// over its receive budget stays paused on a new connection too.
    private func watchReads(of channel: Channel, peer: PeerID) {
        guard let gate = try? channel.pipeline.syncOperations.handler(type: ReadGate.self) else { return }
        let paused = state.withLock { state in
            state.gates[peer] = NIOLoopBound(gate, eventLoop: channel.eventLoop)
            return state.intake[peer]?.paused ?? false
        }
        if paused { gate.pause() }
    }

    /// Gives an authenticated full node a link that sends over its connection, unless
    /// `FullNodePolicy.maxConnected` others are connected (then it is closed and counted).
    private func acceptFullNode(_ channel: Channel, peer: PeerID) -> Bool {
        let initializer = makeInitializer()
        let logger = self.logger
        // The link lives on the connection's loop; a reconnection gets a new link in place of the old one.
        let (accepted, replaced): (Bool, OutboundLink?) = state.withLock { state in
            guard state.phase == .running else { return (false, nil) }
            let old = state.links[peer]
            guard old != nil || state.links.keys.filter(\.isFullNode).count < state.identity.fullNodes.maxConnected else {
                return (false, nil)
            }
            state.links[peer] = OutboundLink(
                peer: peer, address: PeerAddress(host: "full-node", port: 1), eventLoop: channel.eventLoop, limits: limits,
                initializer: initializer, counters: counters, logger: logger, dials: false)
            return (true, old)
        }
        if let replaced { _ = replaced.stop() }
        if accepted {
            counters.update { _ = $0.connectedFullNodes.insert(peer) }
        } else {
            counters.update { $0.fullNodesRefusedFull += 1 }
            logger.notice("refusing a full node: the most this validator serves are connected", metadata: [
                "peer": "\(peer)", "max_full_nodes": "\(identity.fullNodes.maxConnected)",
            ])
            channel.close(promise: nil)
        }
        return accepted
    }

    func channelClosed(_ channel: Channel, peer: PeerID?, direction: ConnectionDirection) {
        guard let peer else { return }
        switch direction {
        case .outbound:
            link(for: peer)?.closed(channel)
        case .inbound:
            let wasCurrent: Bool = state.withLock { state in
                guard state.inbound[peer] === channel else { return false }
                state.inbound[peer] = nil
                state.gates[peer] = nil
                counters.update { _ = $0.connectedInbound.remove(peer) }
                return true
            }
            if wasCurrent {
                logger.info("inbound connection closed", metadata: ["peer": "\(peer)"])
                if peer.isFullNode {
                    // Full nodes come and go under keys they choose: nothing of one is kept once it is gone
                    // (its receive budget only if payloads of it still wait to be consumed).
                    let link: OutboundLink? = state.withLock { state in
                        if state.intake[peer].map({ $0.count == 0 }) ?? false { state.intake[peer] = nil }
                        return state.links.removeValue(forKey: peer)
                    }
                    if let link {
                        counters.update { _ = $0.connectedFullNodes.remove(peer) }
                        _ = link.stop()
                    }
                }
            }
        }
    }

    func received(_ bytes: [UInt8], from peer: PeerID, on channel: Channel, direction: ConnectionDirection) {
        // Count it against the peer's budget before it is handed on; over budget, stop reading.
        let (current, pause): (Bool, NIOLoopBound<ReadGate>?) = state.withLock { state in
            // Only the peer's current connection speaks for it: one closed by a validator-set change (or replaced
            // by a newer one) may still have a read in flight, from whoever held the id before.
            guard direction == .outbound || state.inbound[peer] === channel else { return (false, nil) }
            var intake = state.intake[peer] ?? Intake()
            intake.bytes += bytes.count
            intake.count += 1
            var gate: NIOLoopBound<ReadGate>?
            if !intake.paused && (intake.bytes > limits.receiveBudgetBytesPerPeer || intake.count > limits.receiveBudgetMessagesPerPeer) {
                intake.paused = true
                gate = state.gates[peer]
            }
            state.intake[peer] = intake
            return (true, gate)
        }
        guard current else {
            counters.update { $0.staleConnectionDrops += 1 }
            return
        }
        if let pause {
            // Normally on the gate's own loop already (the payload came through its channel).
            if pause.eventLoop.inEventLoop { pause.value.pause() } else { pause.eventLoop.execute { pause.value.pause() } }
            counters.update { $0.readPauses += 1 }
            logger.debug("pausing reads: the peer's received payloads wait unconsumed over budget", metadata: ["peer": "\(peer)"])
        }
        let result = continuation.yield(PeerMessage(from: peer, bytes: bytes))
        counters.update {
            $0.framesIn += 1
            $0.bytesIn += bytes.count
            if case .dropped = result { $0.receiveQueueDrops += 1 }
        }
        logger.trace("payload received", metadata: ["peer": "\(peer)", "bytes": "\(bytes.count)"])
    }

    func channelWritable(_ channel: Channel, peer: PeerID, direction: ConnectionDirection) {
        if direction == .outbound || peer.isFullNode { link(for: peer)?.writable(channel) }
    }

    /// Applies `InboundAdmission` to a new inbound connection: its id, or `nil` when refused
    /// (counted, and logged through `refusalLog`). Closes the unauthenticated connection it evicts.
    func admitInbound(_ channel: Channel) -> InboundAdmission.ConnectionID? {
        let source = Self.sourceKey(channel.remoteAddress)
        let nowNs = DispatchTime.now().uptimeNanoseconds
        let nowMs = nowNs / 1_000_000
        let (decision, evicted, logRefusals): (InboundAdmission.Decision, Channel?, LogThrottle.Report?) = state.withLock { state in
            let decision = state.admission.admit(address: source, nowMs: nowMs)
            switch decision {
            case let .admit(id, evict):
                state.unauthenticated[id] = channel
                state.admissionIDs[ObjectIdentifier(channel)] = id
                guard let evict, let old = state.unauthenticated.removeValue(forKey: evict) else { return (decision, nil, nil) }
                state.admissionIDs[ObjectIdentifier(old)] = nil
                return (decision, old, nil)
            case let .refuse(reason):
                return (decision, nil, state.refusalLog.note(reason.rawValue, nowNs: nowNs))
            }
        }
        switch decision {
        case let .admit(id, _):
            if let evicted {
                counters.update { $0.inboundEvicted += 1 }
                evicted.close(promise: nil)
            }
            return id
        case let .refuse(reason):
            counters.update {
                $0.inboundRefused += 1
                $0.inboundRefusals[reason.rawValue, default: 0] += 1
            }
            if let logRefusals {
                logger.warning("refusing inbound connections before the handshake", metadata: [
                    "reason": "\(reason.rawValue)", "source": "\(source)", "refused_since_last_log": "\(logRefusals.total)",
                    "counts": "\(logRefusals.summary)",
                ])
            }
            return nil
        }
    }

    func releaseInbound(_ id: InboundAdmission.ConnectionID, _ channel: Channel) {
        state.withLock { state in
            state.admission.release(id)
            if state.unauthenticated[id] === channel { state.unauthenticated[id] = nil }
            if state.admissionIDs[ObjectIdentifier(channel)] == id { state.admissionIDs[ObjectIdentifier(channel)] = nil }
        }
    }

    /// The source an inbound connection is counted under: its IPv4 address, or the /64 prefix of
    /// its IPv6 address (one host usually holds a whole /64), or "unknown".
    static func sourceKey(_ address: SocketAddress?) -> String {
        switch address {
        case let .v4(a)?:
            return a.host
        case let .v6(a)?:
            let bytes = withUnsafeBytes(of: a.address.sin6_addr) { Array($0.prefix(8)) }
            if bytes[0..<8] == [0, 0, 0, 0, 0, 0, 0, 0][...] { return a.host }  // ::1, v4-mapped: the whole address
            return bytes.map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        default:
            return "unknown"
        }
    }

    private func link(for peer: PeerID) -> OutboundLink? {
        state.withLock { $0.links[peer] }
    }
}
