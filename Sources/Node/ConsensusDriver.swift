import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import PBFT
import Synchronization

/// The one actor that owns the PBFT replica. It feeds the replica events (verified messages,
/// timers, mempool requests, execution results) and performs the actions it returns, in order:
/// consecutive `.persist` records are appended to the consensus log (`ConsensusLog`, fsynced)
/// before the next send; a `.commit` is executed and applied in one SQLite transaction with its
/// certificate and answered with `.executed`. Verification happens before messages reach this
/// actor (`PeerWorker`). Its parts, each with one owner: `ConsensusLog`, `ReplicaTimers`,
/// `ClientAdmission` (the busy spell), `StateTransferState` with `RangeVerifier` and
/// `BlockServer` (`ConsensusDriver+StateTransfer.swift` is the client loop), and on a test
/// network a `MessageInterceptor`.
public actor ConsensusDriver {
    /// The network's genesis.
    public nonisolated let genesis: Genesis
    /// This validator's index in the current epoch's set, or on a full node its key-derived id (far above every
    /// validator index).
    public nonisolated var replicaID: ReplicaID { seat.replicaID }
    /// Whether this node votes (`Replica`) or follows (`ChainFollower`) in the current epoch.
    public nonisolated var role: NodeRole { seat.role }
    /// Where this node sits in the epoch its consensus core runs (`ConsensusDriver+Epochs.swift`).
    nonisolated let seatBox: Mutex<ConsensusSeat>
    /// The key this node signs consensus messages with (the rotated one once a change put it in the set).
    var signingKey: SigningKey
    /// Where the operator places the key a rotation switches to (`NodeHome.nextKeyPath`): read at a boundary whose
    /// set no longer holds this node's key.
    let nextKeyPath: String?
    /// The public half of the key this node started signing with.
    public nonisolated let signingKeyPublic: PublicKey
    /// The replica's partial-batch depth (configuration).
    let partialBatchDepth: Int
    /// Where to dial validators whose configured address is overridden (`peers` in config.json), by key.
    let addressOverrides: [PublicKey: PeerAddress]
    /// The previous epoch's replica after a switch: it answers laggards of that epoch and orders nothing.
    var retired: (any ConsensusCore<Batch>)?
    /// The epoch of `retired`.
    var retiredEpoch: UInt64 = 0
    /// The completion the replica reported in the current `handle`; the next epoch starts after it.
    var completedEpoch: EpochCompletion?
    /// Consensus messages of an epoch this node holds no keys for (dropped before any signature check).
    nonisolated let otherEpochMessages = Atomic<Int>(0)
    /// The isolation checks (`ConsensusDriver+CatchUp.swift`).
    var isolationTask: Task<Void, Never>?
    /// Consecutive checks that found no link to any validator of the set.
    var isolatedChecks = 0
    /// Set while a validator catches up as a full node.
    var catchUp: CatchUpRound?
    let store: LedgerStore
    let network: PeerNetwork
    let verifiedTransactions: VerifiedTransactionCache
    /// Blocks, view changes, evidence and state-transfer progress, for RPC and metrics.
    public nonisolated let events: NodeEvents
    var logger: Logger
    /// A test network's hook into this validator's traffic (`--byzantine`); `nil` on an honest validator.
    var interceptor: (any MessageInterceptor)?

    /// The validator set of the current epoch and any pending change, after the stored head
    /// (decision 0038); every executed block updates it.
    var membership: Membership
    /// What validator-set changes execute under (this chain's id and parameters).
    nonisolated let changeRules: ChangeRules
    /// Admitted validator-set changes not yet committed (`ConsensusDriver+Changes.swift`).
    var changePool = ChangePool()
    /// The epoch end the replica was told (`Event.epochEnds`, or its configuration at start).
    var toldEpochEnd: SequenceNumber?
    /// The consensus core: a voting `Replica`, or a full node's `ChainFollower`.
    var replica: any ConsensusCore<Batch>
    /// Admitted, uncommitted transactions; the RPC layer reads it (`Mempool.check`) before it
    /// checks a client transaction's signature.
    nonisolated let mempool = Mempool()
    var timers = ReplicaTimers()
    /// The consensus log in the ledger database.
    var log: ConsensusLog
    var isStopped = false
    /// When client transactions are refused as busy.
    var admission: ClientAdmission
    /// The latest busy verdict, for the RPC layer to refuse from before checking signatures.
    public nonisolated let busyGate = BusyGate()
    /// Failed reads of the ledger database while admitting, logged at most every 10 s with their count.
    var storeReadFailures = LogThrottle(intervalMs: 10_000)
    var lastDrivenView: View = .zero

    // State transfer (see ConsensusDriver+StateTransfer.swift).
    var transfer = StateTransferState()
    /// Set while the transfer task runs (read by the peer workers without an actor hop).
    nonisolated let transferRunning = Atomic<Bool>(false)
    /// Live messages the peer workers dropped during the current transfer (logged at its end).
    nonisolated let droppedDuringTransfer = Atomic<Int>(0)
    /// The replica's intake filter after the last event (`IntakeFilter`): peer workers check a
    /// decoded batch-carrying message against it before verifying its transactions' signatures.
    nonisolated let intake = Mutex<IntakeFilter<Batch>>(.open)
    /// Peer messages the intake filter refused before any signature check (since start).
    nonisolated let droppedBeforeVerification = Atomic<Int>(0)
    /// Peer messages dropped because their verification queue was full (see `NodeLimits`).
    nonisolated let droppedFromFullQueues = Atomic<Int>(0)
    /// Consensus messages refused because a kind that must come from its signer arrived on
    /// another validator's link (`Message.mustArriveFromSigner`).
    nonisolated let refusedOffSignerLink = Atomic<Int>(0)

    /// A driver for the node holding `signingKey`, in `seat` (`ConsensusSeat.starting`: a validator of the
    /// current epoch, or a full node's follower); call `start()` next.
    public init(genesis: Genesis, seat: ConsensusSeat, signingKey: SigningKey, nextKeyPath: String? = nil,
                store: LedgerStore, network: PeerNetwork,
                verifiedTransactions: VerifiedTransactionCache, logger: Logger,
                partialBatchDepth: Int = PBFTLimits.defaultPartialBatchDepth,
                addressOverrides: [PublicKey: PeerAddress] = [:]) throws(NodeError) {
        self.genesis = genesis
        self.seatBox = Mutex(seat)
        self.signingKey = signingKey
        self.nextKeyPath = nextKeyPath
        self.signingKeyPublic = signingKey.publicKey
        self.partialBatchDepth = partialBatchDepth
        self.addressOverrides = addressOverrides
        self.store = store
        self.network = network
        self.verifiedTransactions = verifiedTransactions
        self.changeRules = ChangeRules(genesis: genesis)
        let membership: Membership
        do { membership = try store.membership(genesis: genesis) } catch { throw .store(error, doing: "reading the validator set") }
        self.membership = membership
        self.events = NodeEvents()
        self.logger = logger
        log = ConsensusLog(store: store, replicaCount: seat.validators.count, window: genesis.consensus.window, logger: logger)
        let c = genesis.consensus
        let (minimumBacklog, overflow) = c.maxBatchTransactions.multipliedReportingOverflow(by: NodeLimits.admissionMinimumBacklogBatches)
        admission = ClientAdmission(control: AdmissionControl(minimumBacklog: overflow ? Int.max / 2 : minimumBacklog))
        // A restart after the block that accepted a change knows where the epoch ends (`ConsensusSeat.starting`).
        toldEpochEnd = seat.lastSequence
        do {
            replica = try Self.makeCore(for: seat, genesis: genesis, signingKey: signingKey, partialBatchDepth: partialBatchDepth)
        } catch {
            throw .invalidGenesis(path: "genesis", reason: "consensus parameters refused: \(error)")
        }
    }

    /// Milliseconds since the Unix epoch (the replica's `now`).
    static func nowMs() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }

    /// Rebuilds the replica from the consensus log and the store's head, then starts it.
    public func start() throws(NodeError) {
        let head: ChainHead
        do { head = try store.head() } catch { throw .store(error, doing: "reading the chain head") }
        // A log of an ended epoch (a crash between its last stable checkpoint and the switch) holds nothing to keep.
        do {
            if try store.consensusLogEpoch() != seat.epoch {
                let dropped = try store.clearConsensusLog(startingEpoch: seat.epoch)
                logger.notice("cleared the consensus log of an ended epoch", metadata: ["epoch": "\(seat.epoch)", "records": "\(dropped)"])
            }
        } catch { throw .store(error, doing: "clearing the consensus log of an ended epoch") }
        let recovered = try log.recover(head: head, nowMs: Self.nowMs())
        logger.info("starting replica", metadata: [
            "height": "\(head.height.rawValue)", "log_records": "\(recovered.records.count)", "epoch": "\(seat.epoch)",
            "validators": "\(seat.validators.count)", "role": "\(seat.role.rawValue)",
        ])
        handle(.start(recovered))
        startIsolationChecks()
    }

    /// Feeds one event and everything that follows from it.
    func handle(_ first: LedgerEvent) {
        guard !isStopped else { return }
        var queue: [LedgerEvent] = [first]
        var index = 0
        while index < queue.count {
            let event = queue[index]
            index += 1
            let actions = replica.handle(event, now: Self.nowMs())
            perform(actions, followUps: &queue)
        }
        startNextEpochIfDue()
        endCatchUpIfLive()
        let filter = replica.intakeFilter
        intake.withLock { $0 = filter }
        if replica.view != lastDrivenView {
            lastDrivenView = replica.view
            logger[metadataKey: "view"] = "\(replica.view.rawValue)"
            events.publish(.viewChanged(replica.view, primary: replica.view.primary(replicaCount: seat.validators.count)))
        }
    }

    // MARK: Inputs

    /// A verified consensus message from a peer.
    public func deliver(_ message: Verified<LedgerMessage>) {
        interceptor?.observe(incoming: message.message)
        route(message)
    }

    /// Admits a transaction whose signature was verified by the caller; gossips it to the other
    /// validators when it came from a client, and hands it to the replica.
    public func submit(_ tx: Transaction, fromClient: Bool) throws(MempoolRejection) {
        if let rejection = admit([tx], fromClient: fromClient).first ?? nil { throw rejection }
    }

    /// Admits transactions whose signatures were verified by the caller, in order, and answers one
    /// result per transaction (`nil` = admitted). The senders' accounts are read in one snapshot;
    /// the admitted client transactions are gossiped to the other validators in as few frames as
    /// the frame limit allows, and the replica gets them as one event. Batching here is what keeps
    /// the per-transaction cost of the actor, the store and the network small under load. Client
    /// transactions are refused together as busy while `AdmissionControl` says so, and each must
    /// pass the mempool's client rules (it must be able to succeed, see `Mempool`); gossip from
    /// other validators is held to neither.
    public func admit(_ txs: [Transaction], fromClient: Bool) -> [MempoolRejection?] {
        guard !isStopped else { return Array(repeating: .shuttingDown, count: txs.count) }
        if fromClient, let busy = busyRefusal(now: Self.nowMs(), count: txs.count) { return Array(repeating: busy, count: txs.count) }
        let accounts: AccountState
        do { accounts = try store.accounts(for: txs.lazy.map(\.sender)) } catch {
            if let report = storeReadFailures.note("accounts", nowNs: DispatchTime.now().uptimeNanoseconds) {
                logger.error("cannot read sender accounts from the ledger database; refusing the transactions as unavailable",
                             metadata: ["error": "\(error)", "failures": "\(report.total)"])
            }
            return Array(repeating: .storeUnavailable("cannot read the sender accounts: \(error)"), count: txs.count)
        }
        let now = Self.nowMs()
        var results: [MempoolRejection?] = []
        results.reserveCapacity(txs.count)
        var admitted: [Transaction] = []
        admitted.reserveCapacity(txs.count)
        for tx in txs {
            do throws(MempoolRejection) {
                try mempool.admit(tx, chainID: genesis.chainID, account: accounts.account(tx.sender), nowMs: now,
                                  fromClient: fromClient)
                verifiedTransactions.insert(tx.hash)
                admitted.append(tx)
                results.append(nil)
            } catch {
                results.append(error)
            }
        }
        guard !admitted.isEmpty else { return results }
        if fromClient { gossip(admitted, to: nil) }
        logger.debug("admitted transactions", metadata: ["count": "\(admitted.count)", "client": "\(fromClient)"])
        let handed = interceptor?.filter(requests: admitted) ?? admitted
        if !handed.isEmpty { handle(.requests(handed.map(LedgerRequest.transfer))) }
        return results
    }

    /// The busy refusal for client transactions arriving at `now` (`ClientAdmission`), also
    /// recorded for the RPC layer to refuse from before it checks signatures.
    private func busyRefusal(now: UInt64, count: Int) -> MempoolRejection? {
        let refusal = admission.refusal(
            changingTo: replica.isChangingView ? replica.view.rawValue : nil, backlog: mempool.count,
            oldestUnorderedWaitMs: { replica.oldestUnorderedWaitMs(now: now) },
            paceBoundMs: replica.currentProposalLatencyBoundMs, nowMs: now, count: count, logger: logger)
        busyGate.record(refusal, nowMs: now)
        return refusal
    }

    /// Stops: no more events are handled, timers and any state transfer are cancelled.
    /// A block being executed has finished by the time this runs (the actor is serial).
    public func stop() {
        isStopped = true
        isolationTask?.cancel()
        timers.cancelAll()
        transfer.cancel()
    }

    // MARK: Actions

    private func perform(_ actions: [LedgerAction], followUps: inout [LedgerEvent]) {
        var unsaved: [LedgerLogRecord] = []
        for action in actions {
            if case let .persist(record) = action {
                unsaved.append(record)
                continue
            }
            if !unsaved.isEmpty { persist(unsaved); unsaved.removeAll() }
            switch action {
            case let .send(message, to):
                emit(message, to: [to])
            case let .broadcast(message):
                emit(message, to: nil)
            case let .setTimer(kind, after):
                setTimer(kind, afterMs: after)
            case let .cancelTimer(kind):
                timers.cancel(kind)
            case .persist:
                break
            case let .commit(committed):
                if let event = execute(committed) { followUps.append(event) }
                // Right after the `.executed` of the block that accepted a change (`Event.epochEnds`).
                if let ends = epochEndToTell() { followUps.append(ends) }
            case let .requestStateTransfer(target):
                beginStateTransfer(target)
            case let .evidence(evidence):
                logger.warning("equivocation evidence", metadata: ["offender": "\(evidence.offender)"])
                events.publish(.evidence(evidence))
            case let .note(note):
                switch note {
                case .dropped, .started: logger.debug("\(note)")
                case .rejected, .votingResumed, .viewChangeAbandoned: logger.notice("\(note)")
                case .votesWithheld: logger.warning("\(note)")
                default: logger.info("\(note)")
                }
            case let .relay(requests, to):
                logger.debug("relaying held requests to the primary", metadata: ["count": "\(requests.count)", "peer": "\(to)"])
                gossip(requests.compactMap(\.transfer), to: [to])
                gossipChanges(requests.compactMap(\.validatorSetChange), to: [to])
            case let .epochComplete(completion):
                // The next epoch's replica starts once this `handle` is done (`startNextEpochIfDue`).
                logger.notice("epoch complete: its last checkpoint is stable", metadata: [
                    "epoch": "\(completion.epoch)", "last_block": "\(completion.lastSequence.rawValue)",
                ])
                completedEpoch = completion
            }
        }
        if !unsaved.isEmpty { persist(unsaved) }
    }

    /// Sends a message the replica produced to `recipients` (`nil`: every other validator),
    /// through the interceptor on a test network's Byzantine validator.
    private func emit(_ message: LedgerMessage, to recipients: [ReplicaID]?) {
        // Full nodes anchor their catch-up on validators' checkpoints (`ChainFollower`).
        if recipients == nil, case .checkpoint = message, network.hasFullNodes {
            network.sendToFullNodes(Envelope.wrap(message))
        }
        guard interceptor != nil else {
            if let recipients {
                for to in recipients {
                    let ok = network.send(Envelope.wrap(message), to: PeerID(to.index))
                    logger.debug("send", metadata: ["kind": "\(message.kindName)", "peer": "\(to)", "queued": "\(ok)"])
                }
            } else {
                let n = network.broadcast(Envelope.wrap(message))
                logger.debug("broadcast", metadata: ["kind": "\(message.kindName)", "queued": "\(n)"])
            }
            return
        }
        let sends = interceptor!.transform(message, to: recipients ?? others, nowMs: Self.nowMs())
        for send in sends {
            let bytes = Envelope.wrap(send.message)
            let targets = send.recipients.filter { $0 != replicaID }
            if send.delayMs == 0 {
                for to in targets { _ = network.send(bytes, to: PeerID(to.index)) }
            } else {
                let network = self.network
                let delay = min(send.delayMs, NodeLimits.interceptedDelayMaxMs)
                Task {
                    try? await Task.sleep(for: .milliseconds(delay))
                    for to in targets { _ = network.send(bytes, to: PeerID(to.index)) }
                }
            }
        }
    }

    /// Every validator but this one, in id order.
    private var others: [ReplicaID] { (0..<seat.validators.count).map(ReplicaID.init).filter { $0 != replicaID } }

    /// Sends transactions as mempool gossip to `recipients` (`nil`: every other validator); the
    /// receivers check them like any gossip. A test network's interceptor may narrow the recipients.
    private func gossip(_ txs: [Transaction], to recipients: [ReplicaID]?) {
        guard interceptor != nil else {
            for frame in TransactionGossip.frames(txs) {
                if let recipients {
                    for to in recipients { _ = network.send(frame, to: PeerID(to.index)) }
                } else {
                    _ = network.broadcast(frame)
                }
            }
            return
        }
        let primary = replica.view.primary(replicaCount: seat.validators.count)
        let targets = interceptor!.gossipRecipients(txs, to: recipients ?? others, primary: primary).filter { $0 != replicaID }
        for frame in TransactionGossip.frames(txs) {
            for to in targets { _ = network.send(frame, to: PeerID(to.index)) }
        }
    }

    /// Installs a test network's interceptor (the caller checks the genesis).
    public func intercept(with interceptor: sending any MessageInterceptor) {
        self.interceptor = interceptor
        logger.critical("THIS VALIDATOR IS BYZANTINE", metadata: ["strategy": "\(interceptor.name)"])
    }

    /// Appends records durably. A failing disk is fatal: continuing could sign conflicting messages.
    private func persist(_ records: [LedgerLogRecord]) {
        do { try log.append(records, view: replica.view) } catch {
            logger.critical("cannot persist the consensus log; stopping to stay safe", metadata: ["error": "\(error)"])
            fatalError("consensus log write failed: \(error)")
        }
    }

    private func setTimer(_ kind: TimerKind, afterMs: UInt64) {
        timers.set(kind, afterMs: afterMs) { [weak self] generation in
            await self?.timerFired(kind, generation: generation)
        }
    }

    private func timerFired(_ kind: TimerKind, generation: UInt64) {
        guard timers.fired(kind, generation: generation) else { return }
        if role == .full, kind == .retransmit { relayAgain() }
        handle(.timerFired(kind))
    }

    /// A full node's relayed transactions that did not commit: sent to the validators again after
    /// `fullNodeRelayRetryMs` (a validator may have been down or full), forgotten after
    /// `fullNodeRelayForgetMs` so the client can submit again (a conflicting transaction may have taken its nonce).
    private func relayAgain() {
        let now = Self.nowMs()
        let stale = mempool.admitted(atOrBefore: now &- min(now, NodeLimits.fullNodeRelayForgetMs), limit: NodeLimits.admissionBatchMax)
        if !stale.isEmpty {
            mempool.remove(stale.map(\.hash))
            logger.notice("forgot relayed transactions that did not commit", metadata: [
                "count": "\(stale.count)", "after_ms": "\(NodeLimits.fullNodeRelayForgetMs)",
            ])
        }
        let waiting = mempool.admitted(atOrBefore: now &- min(now, NodeLimits.fullNodeRelayRetryMs), limit: NodeLimits.admissionBatchMax)
        if !waiting.isEmpty { gossip(waiting, to: nil) }
    }

    // MARK: Execution

    /// Executes the committed batch into the store (one SQLite transaction with its certificate).
    private func execute(_ committed: CommittedBatch<Batch>) -> LedgerEvent? {
        let seq = committed.sequence
        do {
            let head = try store.head()
            if seq <= head.height {
                // Already there (state transfer got it first).
                guard let block = try store.block(at: seq) else { return nil }
                if block.header.batchDigest != committed.batch.digest {
                    logger.critical("committed batch differs from the stored block", metadata: ["seq": "\(seq.rawValue)"])
                }
                // Not counted in the admission control's commit rate: a transferred range would
                // arrive all at once and make the rate look many times what this node commits.
                mempool.remove(committed.batch.transactions.map(\.hash))
                return .executed(seq, blockHash: block.hash)
            }
            guard seq.rawValue == head.height.rawValue &+ 1 else {
                logger.error("commit leaves a gap; waiting for state transfer", metadata: [
                    "seq": "\(seq.rawValue)", "height": "\(head.height.rawValue)",
                ])
                return nil
            }
            let (block, nextMembership) = try Self.apply(
                committed.batch, proposer: committed.proposer, certificate: committed.certificate.encoded(),
                previous: head.header, membership: membership, rules: changeRules, store: store)
            membership = nextMembership
            catchUp?.executedPush = true  // a follower commits only what validators pushed
            mempool.remove(committed.batch.transactions.map(\.hash))
            changesCommitted(block)
            admission.control.committed(block.transactions.count, nowMs: Self.nowMs())
            if role == .validator, network.hasFullNodes {
                // Each connected full node gets the block with its proof as soon as it is stored.
                network.sendToFullNodes(Envelope.wrap(.committedBatch(committed.certificate, batch: committed.batch)))
            }
            events.publish(.blockCommitted(block))
            logger.info("committed block", metadata: [
                "seq": "\(seq.rawValue)", "txs": "\(block.transactions.count)", "hash": "\(block.hash.hex.prefix(16))",
                "cert_view": "\(committed.certificate.view.rawValue)",
            ])
            return .executed(seq, blockHash: block.hash)
        } catch {
            logger.critical("cannot store committed block; stopping", metadata: ["seq": "\(seq.rawValue)", "error": "\(error)"])
            fatalError("block write failed at \(seq): \(error)")
        }
    }

    /// Executes `batch` on top of `previous` against the store's accounts and `membership`, and
    /// applies it; returns the block and the membership after it.
    static func apply(_ batch: Batch, proposer: ReplicaID, certificate: [UInt8], previous: BlockHeader,
                      membership: Membership, rules: ChangeRules, store: LedgerStore) throws(StoreError) -> (Block, Membership) {
        // `accounts(for:)` skips repeated keys itself.
        var keys: [PublicKey] = []
        keys.reserveCapacity(batch.transactions.count * 2)
        for tx in batch.transactions {
            keys.append(tx.sender)
            keys.append(tx.recipient.publicKey)
        }
        let snapshot = try store.accounts(for: keys)
        let execution = StateTransition.execute(
            batch: batch, previous: previous, proposer: proposer, accounts: snapshot, membership: membership, rules: rules)
        try store.apply(execution, certificate: certificate)
        return (execution.block, execution.membership)
    }
}
