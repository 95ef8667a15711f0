import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT

/// A validator that finds itself alone catches up as a full node (decision 0038).
///
/// A validator that was down (or cut off) while the set changed comes back with the set of its
/// stored epoch. If the change moved validators to other places (a removal renumbers the set) or
/// replaced keys, the others refuse its handshakes and it refuses theirs: it cannot learn from
/// them as a validator what it missed. So when it has no link to any validator of its set for
/// `NodeLimits.isolationChecksBeforeCatchUp` checks in a row, it follows the chain for a while as a full node — dialling with its
/// key-derived full-node id, which a validator serves whatever its set — executing every block
/// with its certificate checked against the set of the block's epoch. Crossing a boundary on the
/// way it takes the seat its key has in the next set (`enterNextEpoch`). When a round of catching
/// up brings nothing while a validator answers (or after `catchUpMaxMs`), it returns to voting in
/// the epoch it is in, through the restart path: a replica rebuilt from the consensus log and the
/// head, so it never forgets a vote it signed.
extension ConsensusDriver {
    /// Runs the isolation check every `NodeLimits.isolationCheckIntervalMs` until the driver stops.
    func startIsolationChecks() {
        let interval = NodeLimits.isolationCheckIntervalMs
        isolationTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(interval))
                guard let self, await self.checkIsolation() else { return }
            }
        }
    }

    /// One check; `false` once the driver stopped.
    func checkIsolation() -> Bool {
        guard !isStopped else { return false }
        if let started = catchUp?.startedMs, Self.nowMs() &- started > NodeLimits.catchUpMaxMs {
            endCatchUp(reason: "the catch-up round reached its time limit")
            return true
        }
        guard catchUp == nil, seat.role == .validator, !isTransferringState else {
            isolatedChecks = 0
            return true
        }
        let metrics = network.metrics
        let linked = Set(metrics.connectedOutbound).union(metrics.connectedInbound).filter { !$0.isFullNode }
        let others = seat.validators.map { PeerID($0.id.index) }.filter { $0 != PeerID(seat.replicaID.index) }
        guard !others.contains(where: linked.contains) else {
            isolatedChecks = 0
            return true
        }
        isolatedChecks += 1
        if isolatedChecks >= NodeLimits.isolationChecksBeforeCatchUp { beginCatchUp() }
        return true
    }

    /// Follows the chain as a full node of the current epoch's set (the replica is put aside; its log stays).
    private func beginCatchUp() {
        isolatedChecks = 0
        let validatorSeat = seat
        var following = validatorSeat
        following.role = .full
        following.replicaID = ReplicaID(PeerID(fullNodeKey: signingKey.publicKey).index)
        catchUp = CatchUpRound(startedMs: Self.nowMs(), seat: validatorSeat)
        logger.notice("no link to any validator of this epoch: catching up as a full node (the set may have changed while this node was away)",
                      metadata: ["epoch": "\(validatorSeat.epoch)", "height": "\((try? store.head().height.rawValue) ?? 0)"])
        seatBox.withLock { $0 = following }
        timers.cancelAll()
        do { replica = try makeCore(for: following) } catch {
            logger.error("cannot follow the chain to catch up", metadata: ["error": "\(error)"])
            catchUp = nil
            seatBox.withLock { $0 = validatorSeat }
            return
        }
        dial(as: following)
        guard let head = try? store.head() else { return }
        let atGenesis = head.height == .zero
        handle(.start(RecoveredState(
            records: [], lastExecuted: head.height, lastExecutedBlockHash: atGenesis ? .zero : head.hash,
            lastExecutedTimestampMilliseconds: atGenesis ? 0 : head.header.timestamp)))
    }

    /// A transfer of the catch-up round finished with `blocks` blocks and `refusedRanges` refused. Two rounds in a row
    /// that bring nothing, with nothing refused, while a validator is connected, at least
    /// `NodeLimits.catchUpMinimumMs` into the round, mean this node is caught up in its epoch.
    func noteCatchUpTransfer(blocks: Int, refusedRanges: Int) {
        guard var round = catchUp else { return }
        if blocks == 0, refusedRanges == 0, !network.metrics.connectedOutbound.isEmpty {
            round.emptyRounds += 1
        } else {
            round.emptyRounds = 0
        }
        catchUp = round
        if round.emptyRounds >= 2, Self.nowMs() &- round.startedMs >= NodeLimits.catchUpMinimumMs {
            endCatchUp(reason: "nothing more to fetch")
        }
    }

    /// After one `handle`: a block a validator pushed was executed (the network is live in this node's epoch: a
    /// later epoch's pushes are refused before they reach the follower), so this node votes again.
    func endCatchUpIfLive() {
        guard let round = catchUp, round.executedPush else { return }
        endCatchUp(reason: "following the live chain of this epoch")
    }

    /// Returns to voting in the epoch the node is in, as a restart would.
    func endCatchUp(reason: String) {
        guard let round = catchUp else { return }
        catchUp = nil
        guard round.seat.epoch == seat.epoch, seat.role == .full else { return }  // a boundary on the way seated it
        var validatorSeat = seat
        validatorSeat.role = .validator
        validatorSeat.replicaID = round.seat.replicaID
        seatBox.withLock { $0 = validatorSeat }
        timers.cancelAll()
        transfer.cancel()
        let recovered: RecoveredState<Batch>
        do {
            replica = try makeCore(for: validatorSeat)
            guard let head = try? store.head() else { throw NodeError.network("cannot read the chain head") }
            recovered = try log.recover(head: head, nowMs: Self.nowMs())
        } catch {
            logger.critical("cannot resume voting after catching up; stopping", metadata: ["error": "\(error)"])
            fatalError("resuming after catch-up: \(error)")
        }
        dial(as: validatorSeat)
        let network = self.network
        let logger = self.logger
        Task {
            do { _ = try await network.start() } catch {
                logger.warning("cannot listen on the P2P port after catching up", metadata: ["error": "\(error)"])
            }
        }
        logger.notice("voting again after catching up", metadata: [
            "reason": "\(reason)", "epoch": "\(validatorSeat.epoch)", "height": "\(recovered.lastExecuted.rawValue)",
        ])
        handle(.start(recovered))
        let waiting = mempool.oldest(limit: NodeLimits.admissionBatchMax)
        if !waiting.isEmpty { handle(.requests(waiting.map(LedgerRequest.transfer))) }
    }

    /// Points the P2P network at `seat`'s set with `seat`'s id.
    func dial(as seat: ConsensusSeat) {
        var validators: [PeerID: PublicKey] = [:]
        var addresses: [PeerID: PeerAddress] = [:]
        for v in seat.validators {
            validators[PeerID(v.id.index)] = v.publicKey
            guard v.id != seat.replicaID || seat.role == .full else { continue }
            if let address = addressOverrides[v.publicKey] {
                addresses[PeerID(v.id.index)] = address
            } else if let hp = NodeConfig.hostPort(v.p2pAddress) {
                addresses[PeerID(v.id.index)] = PeerAddress(host: hp.host, port: hp.port)
            }
        }
        do {
            try network.replaceValidatorSet(validators, localID: PeerID(seat.replicaID.index), signingKey: signingKey,
                                            addresses: addresses)
        } catch {
            logger.critical("cannot switch the P2P network to the validator set", metadata: ["error": "\(error)"])
        }
    }
}

/// A validator's round of catching up as a full node.
struct CatchUpRound {
    /// When it began (ms since the Unix epoch).
    var startedMs: UInt64
    /// The validator seat it left.
    var seat: ConsensusSeat
    /// Transfers in a row that brought nothing.
    var emptyRounds = 0
    /// A block a validator pushed was executed.
    var executedPush = false
}
