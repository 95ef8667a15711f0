import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT

/// Where this node sits in the epoch its consensus core runs (decision 0038): the epoch's validator
/// set, whether this node's key is in it (a validator with its index) or not (a full node with its
/// key-derived id), where the epoch starts and, once a change is accepted, where it ends. The
/// ledger's membership can be one epoch ahead of it: between executing the boundary block and the
/// stable checkpoint that completes the epoch.
public struct ConsensusSeat: Sendable {
    /// The epoch the consensus core runs.
    public var epoch: UInt64
    /// The epoch's validator set (ids 0..<n).
    public var validators: [Validator]
    /// A voting member of the set, or a follower.
    public var role: NodeRole
    /// The index in the set, or a full node's key-derived id (far above every validator index).
    public var replicaID: ReplicaID
    /// The stable checkpoint the epoch starts from.
    public var start: EpochStart
    /// The epoch's last block, once a change is accepted.
    public var lastSequence: SequenceNumber?
    /// The keys peers' messages are checked against: this epoch's, and the previous one's while its
    /// retired replica answers laggards.
    public var keys: EpochKeys

    /// The seat of `key` in `validators` of `epoch`.
    init(key: PublicKey, epoch: UInt64, validators: [Validator], start: EpochStart, lastSequence: SequenceNumber?,
         keys: EpochKeys) {
        self.epoch = epoch
        self.validators = validators
        self.start = start
        self.lastSequence = lastSequence
        self.keys = keys
        if let me = validators.first(where: { $0.publicKey == key }) {
            role = .validator
            replicaID = me.id
        } else {
            role = .full
            replicaID = ReplicaID(PeerID(fullNodeKey: key).index)
        }
    }

    /// The seat a node holding `key` starts in after opening `store` (decision 0038). Epoch 0 from
    /// genesis; after a change, the membership's epoch once it has begun — a block above the boundary
    /// is stored, or the stable checkpoint at the boundary — and otherwise the epoch before it, whose
    /// replica still has to see its last checkpoint stable (a crash between executing the boundary
    /// block and that checkpoint).
    static func starting(store: LedgerStore, genesis: Genesis, membership: Membership, key: PublicKey,
                         memo: SignatureMemo) throws(StoreError) -> ConsensusSeat {
        guard membership.epoch > 0 else {
            return ConsensusSeat(key: key, epoch: 0, validators: membership.validators, start: .genesis,
                                 lastSequence: membership.pending?.lastSequence,
                                 keys: EpochKeys(epoch: 0, validators: membership.validators, memo: memo))
        }
        let a = SequenceNumber(membership.firstHeight.rawValue &- 1)
        let head = try store.head()
        let hashAtBoundary = try store.headers(from: a, count: 1).first.map(\.hash) ?? .zero
        let stableAtBoundary = try store.checkpoint(at: a) != nil
        if head.height > a || stableAtBoundary {
            return ConsensusSeat(key: key, epoch: membership.epoch, validators: membership.validators,
                                 start: EpochStart(sequence: a, blockHash: hashAtBoundary),
                                 lastSequence: membership.pending?.lastSequence,
                                 keys: EpochKeys(epoch: membership.epoch, validators: membership.validators, memo: memo))
        }
        let (epoch, validators) = try store.validatorSet(at: a, genesis: genesis)
        var start = EpochStart.genesis
        if epoch > 0, let first = try store.firstHeight(ofEpoch: epoch) {
            let s = SequenceNumber(first.rawValue &- 1)
            start = EpochStart(sequence: s, blockHash: try store.headers(from: s, count: 1).first.map(\.hash) ?? .zero)
        }
        return ConsensusSeat(key: key, epoch: epoch, validators: validators, start: start, lastSequence: a,
                             keys: EpochKeys(epoch: epoch, validators: validators, memo: memo))
    }
}

extension ConsensusDriver {
    /// This node's seat (read by the peer workers and the RPC layer without an actor hop).
    public nonisolated var seat: ConsensusSeat { seatBox.withLock { $0 } }

    /// Where the consensus core's epoch ends, as far as the ledger knows: the pending change's
    /// boundary in the same epoch, or, once the ledger is past the boundary, its last block.
    var knownEpochEnd: SequenceNumber? {
        let epoch = seat.epoch
        if membership.epoch == epoch { return membership.pending?.lastSequence }
        if membership.epoch == epoch &+ 1 { return SequenceNumber(membership.firstHeight.rawValue &- 1) }
        return nil
    }

    /// The keys a fetched range is checked with: the ledger's epoch, and the next one once a change is pending.
    var transferKeys: EpochKeys {
        var keys = EpochKeys(memo: seat.keys.memo)
        keys.set(epoch: membership.epoch, validators: membership.validators)
        if let pending = membership.pending { keys.set(epoch: membership.epoch &+ 1, validators: pending.validators) }
        return keys
    }

    /// Hands a verified message to the replica of its epoch: the current one, or the retired replica
    /// of the previous epoch, which answers laggards (what it sends goes out; it orders nothing new).
    func route(_ message: Verified<LedgerMessage>) {
        let epoch = message.message.epoch ?? seat.epoch
        if epoch == seat.epoch {
            handle(.message(message))
            return
        }
        guard var old = retired, epoch == retiredEpoch else { return }
        let actions = old.handle(.message(message), now: Self.nowMs())
        retired = old
        for action in actions {
            switch action {
            case let .send(m, to): _ = network.send(Envelope.wrap(m), to: PeerID(to.index))
            case let .broadcast(m): _ = network.broadcast(Envelope.wrap(m))
            default: break
            }
        }
    }

    /// After the events of one `handle`: the next epoch starts when the replica completed its epoch
    /// (`Action.epochComplete`), or, on a full node, when the ledger executed the boundary block.
    func startNextEpochIfDue() {
        if let completion = completedEpoch {
            completedEpoch = nil
            guard membership.epoch == completion.epoch &+ 1 else {
                logger.critical("epoch complete, but the ledger is not at the next epoch; staying", metadata: [
                    "epoch": "\(completion.epoch)", "ledger_epoch": "\(membership.epoch)",
                ])
                return
            }
            enterNextEpoch(start: completion.nextEpochStart)
            return
        }
        guard seat.role == .full, membership.epoch == seat.epoch &+ 1 else { return }
        let a = SequenceNumber(membership.firstHeight.rawValue &- 1)
        guard let header = try? store.headers(from: a, count: 1).first else { return }
        enterNextEpoch(start: EpochStart(sequence: a, blockHash: header.hash))
    }

    /// Starts the consensus core of the ledger's epoch: a validator of the new set gets a fresh replica
    /// (its old one retires and answers laggards; its pending requests move over), a node whose key left
    /// the set follows as a full node, a full node whose key joined it votes from here on. The consensus
    /// log of the ended epoch is cleared (its votes can never count again: every signature names its
    /// epoch), the peer workers' keys and the P2P validator set are replaced.
    private func enterNextEpoch(start: EpochStart) {
        catchUp = nil  // a validator catching up takes the seat its key has in the next set
        let previous = seat
        var rotated = false
        if !membership.validators.contains(where: { $0.publicKey == signingKey.publicKey }), let path = nextKeyPath,
           FileManager.default.fileExists(atPath: path) {
            do {
                let next = try NodeKey.load(path: path).signingKey
                if membership.validators.contains(where: { $0.publicKey == next.publicKey }) {
                    signingKey = next
                    rotated = true
                }
            } catch {
                logger.error("cannot read the next key; this node follows as a full node", metadata: ["file": "\(path)", "error": "\(error)"])
            }
        }
        let key = signingKey.publicKey
        var keys = previous.keys
        keys.set(epoch: membership.epoch, validators: membership.validators)
        let next = ConsensusSeat(key: key, epoch: membership.epoch, validators: membership.validators, start: start,
                                 lastSequence: membership.pending?.lastSequence, keys: keys)
        let moved = (replica as? LedgerReplica)?.pendingRequests ?? []
        if previous.role == .validator {
            retired = replica
            retiredEpoch = previous.epoch
        } else {
            retired = nil
        }
        var seated = next
        seated.keys.keep(retired == nil ? [next.epoch] : [next.epoch, previous.epoch])
        seatBox.withLock { $0 = seated }
        toldEpochEnd = next.lastSequence
        timers.cancelAll()
        do { try store.clearConsensusLog(startingEpoch: next.epoch) } catch {
            logger.critical("cannot clear the ended epoch's consensus log; stopping to stay safe", metadata: ["error": "\(error)"])
            fatalError("consensus log write failed: \(error)")
        }
        log.replicaCount = next.validators.count
        do {
            replica = try makeCore(for: next)
        } catch {
            logger.critical("the next epoch's replica refused its configuration; stopping", metadata: ["error": "\(error)"])
            fatalError("epoch \(next.epoch) replica: \(error)")
        }
        switchNetwork(from: previous, to: next)
        var metadata: Logger.Metadata = [
            "epoch": "\(next.epoch)", "validators": "\(next.validators.count)", "first_block": "\(start.sequence.rawValue &+ 1)",
        ]
        switch (previous.role, next.role) {
        case (.validator, .validator):
            metadata["replica_id"] = "\(next.replicaID)"
            metadata["previous_id"] = "\(previous.replicaID)"
            metadata["requests_moved"] = "\(moved.count)"
            logger.notice("validator set changed: voting in the new epoch", metadata: metadata)
            if rotated {
                let file = NodeHome.nextKeyFileName
                logger.notice("this validator's key was rotated: it signs with \(file) from this epoch on (a restart keeps using it; move it over the key file before approving changes with this home)",
                              metadata: ["key": "\(key.hex)"])
            }
        case (.validator, .full):
            logger.notice("this validator's key left the validator set: it no longer votes and follows the chain as a full node",
                          metadata: metadata)
        case (.full, .validator):
            metadata["replica_id"] = "\(next.replicaID)"
            logger.notice("this node's key joined the validator set: it votes from this epoch on", metadata: metadata)
        case (.full, .full):
            logger.notice("validator set changed: following the new set", metadata: metadata)
        }
        guard let head = try? store.head() else {
            logger.critical("cannot read the chain head to start the next epoch; stopping")
            fatalError("chain head unreadable at the epoch switch")
        }
        let atGenesis = head.height == .zero
        handle(.start(RecoveredState(
            records: [], lastExecuted: head.height, lastExecutedBlockHash: atGenesis ? .zero : head.hash,
            lastExecutedTimestampMilliseconds: atGenesis ? 0 : head.header.timestamp)))
        if next.role == .validator, !moved.isEmpty { handle(.requests(moved)) }
        if next.role == .validator {
            // Admitted transactions a full node relayed, and changes held, now wait for this replica to order them.
            let waiting = mempool.oldest(limit: NodeLimits.admissionBatchMax)
            if previous.role == .full, !waiting.isEmpty { handle(.requests(waiting.map(LedgerRequest.transfer))) }
        }
    }

    /// The consensus core for `seat`: a replica of its epoch, or a follower of its set.
    func makeCore(for seat: ConsensusSeat) throws(PBFTError) -> any ConsensusCore<Batch> {
        try Self.makeCore(for: seat, genesis: genesis, signingKey: signingKey, partialBatchDepth: partialBatchDepth)
    }

    /// The consensus core for `seat` on `genesis`'s chain, signing with `signingKey`.
    static func makeCore(for seat: ConsensusSeat, genesis: Genesis, signingKey: SigningKey,
                         partialBatchDepth: Int) throws(PBFTError) -> any ConsensusCore<Batch> {
        let c = genesis.consensus
        guard seat.role == .validator else {
            var follower = ChainFollower<Batch>(replicaCount: seat.validators.count, window: c.window,
                                                probeIntervalMs: NodeLimits.fullNodeProbeIntervalMs)
            follower.epochEnd = seat.lastSequence
            return follower
        }
        var configuration = ReplicaConfiguration(
            replicaCount: seat.validators.count, replicaID: seat.replicaID, chainID: genesis.chainID,
            checkpointInterval: c.checkpointInterval, window: c.window, maxBatchTxs: c.maxBatchTransactions,
            maxBatchBytes: c.maxBatchBytes, batchDelayMs: c.batchDelayMs, viewChangeTimeoutMs: c.viewChangeTimeoutMs,
            maxClockDriftMs: c.maxClockDriftMs, partialBatchDepth: partialBatchDepth)
        configuration.epoch = seat.epoch
        configuration.epochStart = seat.start
        configuration.lastSequence = seat.lastSequence
        return try LedgerReplica(configuration: configuration, signer: Ed25519MessageSigner(key: signingKey))
    }

    /// Moves the P2P network to the seat's set: links to peers whose (id, key) did not change are kept,
    /// the rest redialled; a node leaving the set stops listening, one joining it starts.
    private func switchNetwork(from previous: ConsensusSeat, to next: ConsensusSeat) {
        dial(as: next)
        guard previous.role == .full, next.role == .validator else { return }
        let network = self.network
        let logger = self.logger
        Task {
            do {
                let bound = try await network.start()
                logger.notice("p2p listening for the validators of the new epoch", metadata: ["address": "\(bound)"])
            } catch {
                logger.critical("cannot listen on the P2P port after joining the validator set: the other validators cannot dial this one",
                                metadata: ["error": "\(error)"])
            }
        }
    }
}
