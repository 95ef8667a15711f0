import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import P2P
import Adversary
import PBFT
import Synchronization

/// The one actor that owns the PBFT replica. It feeds the replica events (verified messages,
/// timers, mempool requests, execution results) and performs the actions it returns, in order:
/// consecutive `.persist` records are appended to the store's consensus log (fsynced) before the
/// next send; a `.commit` is executed and applied in one SQLite transaction with its certificate
/// and answered with `.executed`. Verification happens before messages reach this actor.
public actor ConsensusDriver {
    /// The network's genesis.
    public nonisolated let genesis: Genesis
    /// This validator.
    public nonisolated let replicaID: ReplicaID
    let store: LedgerStore
    let network: PeerNetwork
    let scheme: Ed25519ValidatorKeys
    let verifiedTransactions: VerifiedTransactionCache
    /// Blocks, view changes, evidence and state-transfer progress, for RPC and metrics.
    public nonisolated let events: NodeEvents
    var logger: Logger
    /// A test network's Byzantine behaviour (`--byzantine`); `nil` on an honest validator.
    var behaviour: (any ByzantineBehaviour)?
    let signingKey: SigningKey

    var replica: LedgerReplica
    /// Admitted, uncommitted transactions; the RPC layer reads it (`Mempool.check`) before it
    /// checks a client transaction's signature.
    nonisolated let mempool = Mempool()
    private var timers: [TimerKind: Task<Void, Never>] = [:]
    private var timerGenerations: [TimerKind: UInt64] = [:]
    private var nextTimerGeneration: UInt64 = 0
    var isStopped = false
    /// When client transactions are refused as busy.
    var admission: AdmissionControl
    /// The latest busy verdict, for the RPC layer to refuse from before checking signatures.
    public nonisolated let busyGate = BusyGate()
    /// The busy spell in progress: when it started, and how many client transactions it refused.
    var busySince: UInt64?
    var busyRefused = 0
    var busyLoggedAt: UInt64 = 0
    /// Failed reads of the ledger database while admitting, logged at most every 10 s with their count.
    var storeReadFailures = LogThrottle(intervalMs: 10_000)
    var lastDrivenView: View = .zero

    // State transfer (see ConsensusDriver+StateTransfer.swift).
    var transferTarget: StateTransferTarget?
    var transferTask: Task<Void, Never>?
    var pendingFetches: [UInt64: PendingFetch] = [:]
    var nextRequestID: UInt64 = 1
    var donors = TransferDonors()
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

    /// A driver for validator `replicaID`; call `start()` next.
    public init(genesis: Genesis, replicaID: ReplicaID, signingKey: SigningKey, store: LedgerStore, network: PeerNetwork,
                verifiedTransactions: VerifiedTransactionCache, logger: Logger,
                partialBatchDepth: Int = PBFTLimits.defaultPartialBatchDepth) throws(NodeError) {
        self.genesis = genesis
        self.replicaID = replicaID
        self.store = store
        self.network = network
        self.scheme = Ed25519ValidatorKeys(publicKeys: genesis.validators.map(\.publicKey))
        self.verifiedTransactions = verifiedTransactions
        self.events = NodeEvents()
        self.signingKey = signingKey
        self.logger = logger
        let c = genesis.consensus
        let (minimumBacklog, overflow) = c.maxBatchTransactions.multipliedReportingOverflow(by: NodeLimits.admissionMinimumBacklogBatches)
        admission = AdmissionControl(minimumBacklog: overflow ? Int.max / 2 : minimumBacklog)
        let configuration = ReplicaConfiguration(
            replicaCount: genesis.validatorCount, replicaID: replicaID, chainID: genesis.chainID,
            checkpointInterval: c.checkpointInterval, window: c.window, maxBatchTxs: c.maxBatchTransactions,
            maxBatchBytes: c.maxBatchBytes, batchDelayMs: c.batchDelayMs, viewChangeTimeoutMs: c.viewChangeTimeoutMs,
            maxClockDriftMs: c.maxClockDriftMs,
            partialBatchDepth: partialBatchDepth)
        do {
            replica = try LedgerReplica(configuration: configuration, signer: Ed25519MessageSigner(key: signingKey))
        } catch {
            throw .invalidGenesis(path: "genesis", reason: "consensus parameters refused: \(error)")
        }
    }

    /// Milliseconds since the Unix epoch (the replica's `now`).
    static func nowMs() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }

    /// Rebuilds the replica from the consensus log and the store's head, then starts it.
    public func start() throws(NodeError) {
        let head: ChainHead
        let stored: [ConsensusLogRecord]
        do {
            head = try store.head()
            stored = try store.loadConsensusLog()
        } catch { throw .store("\(error)") }
        // Unreadable records. Every append is one fsynced SQLite transaction, so a crash cannot
        // leave half a record: a record that does not decode (or whose stored kind disagrees with
        // its content) is damage, wherever it is. It may have been a vote this replica signed and
        // sent, so forgetting it silently could make the replica sign a conflicting one. The rule
        // (`RecoveredState.votingFence`, the same in the simulator): keep a copy of the database,
        // drop only the unreadable records, and store a voting fence beside the log; until its
        // stable checkpoint reaches the fence the replica signs no PRE-PREPARE, PREPARE, COMMIT,
        // VIEW-CHANGE or NEW-VIEW (it still executes what the others commit and fetches state).
        var records: [LedgerLogRecord] = []
        var unreadable: [ConsensusLogRecord] = []
        for r in stored {
            guard let record = try? LedgerLogRecord.decode(r.bytes, replicaCount: genesis.validatorCount, window: genesis.consensus.window),
                  Self.logKey(record).0 == r.kind else {
                unreadable.append(r)
                continue
            }
            records.append(record)
        }
        if !unreadable.isEmpty {
            // View-level rows carry no sequence number (`logKey` stores UInt64.max for them).
            let highest = stored.map(\.sequenceNumber).filter { $0 != SequenceNumber(.max) }.max() ?? .zero
            let fence = RecoveredState<Batch>.votingFence(
                highestLoggedSequence: highest, lastExecuted: head.height, window: genesis.consensus.window)
            let directory = (store.path as NSString).deletingLastPathComponent
            let copy = (directory as NSString).appendingPathComponent("consensus-log.damaged-\(Self.nowMs()).sqlite")
            let dropped: Int
            do {
                dropped = try store.dropConsensusLogRecords(ids: unreadable.compactMap(\.id), keepingCopyAt: copy, votingFence: fence)
            } catch {
                throw .store("the consensus log in \(store.path) has \(unreadable.count) unreadable records and they could not be set aside: \(error)")
            }
            logger.error("consensus log has unreadable records: dropped them and withholding votes until the voting fence", metadata: [
                "file": "\(store.path)", "dropped": "\(dropped)", "kept": "\(records.count)", "copy": "\(copy)",
                "voting_fence": "\(fence.rawValue)",
                "records": "\(unreadable.prefix(8).map { "id \($0.id ?? -1) kind \($0.kind) view \($0.view.rawValue) seq \($0.sequenceNumber.rawValue)" })",
            ])
        }
        let votingFence: SequenceNumber?
        do { votingFence = try store.votingFence() } catch { throw .store("\(error)") }
        // Only the latest view-level records matter (older ones were superseded).
        let lastViewChange = records.lastIndex { if case .viewChange = $0 { true } else { false } }
        let lastNewView = records.lastIndex { if case .newView = $0 { true } else { false } }
        let lastStable = records.lastIndex { if case .stableCheckpoint = $0 { true } else { false } }
        records = records.enumerated().compactMap { i, r in
            switch r {
            case .viewChange: i == lastViewChange ? r : nil
            case .newView: i == lastNewView ? r : nil
            case .stableCheckpoint: i == lastStable ? r : nil
            default: r
            }
        }
        let atGenesis = head.height == .zero
        let recovered = RecoveredState<Batch>(
            records: records, lastExecuted: head.height, lastExecutedBlockHash: atGenesis ? .zero : head.hash,
            lastExecutedTimestampMilliseconds: atGenesis ? 0 : head.header.timestamp, votingFence: votingFence)
        logger.info("starting replica", metadata: [
            "height": "\(head.height.rawValue)", "log_records": "\(records.count)",
        ])
        handle(.start(recovered))
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
        let filter = replica.intakeFilter
        intake.withLock { $0 = filter }
        if replica.view != lastDrivenView {
            lastDrivenView = replica.view
            logger[metadataKey: "view"] = "\(replica.view.rawValue)"
            events.publish(.viewChanged(replica.view, primary: replica.view.primary(replicaCount: genesis.validatorCount)))
        }
    }

    // MARK: Inputs

    /// A verified consensus message from a peer.
    public func deliver(_ message: Verified<LedgerMessage>) {
        behaviour?.observe(incoming: message.message)
        handle(.message(message))
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
        var handed = admitted
        if behaviour != nil { handed = behaviour!.filter(requests: admitted) }
        if !handed.isEmpty { handle(.requests(handed)) }
        return results
    }

    /// The busy refusal for client transactions arriving at `now`, or `nil`: while the replica is
    /// changing view (nothing it admits can be ordered until a view is installed, and a lone view
    /// change may last until the replica finds the others still working), else as
    /// `AdmissionControl` says. Logs when a busy spell starts, every `busyLogIntervalMs` while it
    /// lasts, and when it ends.
    private func busyRefusal(now: UInt64, count: Int) -> MempoolRejection? {
        let refusal: MempoolRejection?
        if replica.isChangingView {
            refusal = .changingView(view: replica.view.rawValue, retryAfterMs: NodeLimits.viewChangeRetryAfterMs)
        } else {
            // Below the backlog floor neither rule can refuse, so the walk over the replica's queue
            // for the oldest unordered request (past every request in flight) is skipped there.
            let backlog = mempool.count
            let waited = backlog >= admission.minimumBacklog ? replica.oldestUnorderedWaitMs(now: now) : 0
            refusal = admission.refusal(backlog: backlog, oldestUnorderedWaitMs: waited,
                                        paceBoundMs: replica.currentProposalLatencyBoundMs, nowMs: now)
        }
        busyGate.record(refusal, nowMs: now)
        guard let refusal else {
            if let since = busySince {
                logger.info("taking client transactions again", metadata: [
                    "busy_ms": "\(now >= since ? now - since : 0)", "refused": "\(busyRefused)"])
                busySince = nil
            }
            return nil
        }
        if busySince == nil {
            busySince = now
            busyRefused = 0
            busyLoggedAt = now
            logger.info("refusing client transactions as busy", metadata: ["why": "\(refusal)"])
        } else if now >= busyLoggedAt, now - busyLoggedAt >= NodeLimits.busyLogIntervalMs {
            busyLoggedAt = now
            logger.info("still refusing client transactions as busy", metadata: ["refused": "\(busyRefused)", "why": "\(refusal)"])
        }
        busyRefused += count
        return refusal
    }

    /// Stops: no more events are handled, timers and any state transfer are cancelled.
    /// A block being executed has finished by the time this runs (the actor is serial).
    public func stop() {
        isStopped = true
        for t in timers.values { t.cancel() }
        timers.removeAll()
        transferTask?.cancel()
        for (_, p) in pendingFetches { p.continuation.resume(returning: nil) }
        pendingFetches.removeAll()
    }

    /// A snapshot for `status`.
    public func snapshot() -> (view: View, primary: ReplicaID, isChangingView: Bool, isCatchingUp: Bool, mempool: Int) {
        (replica.view, replica.view.primary(replicaCount: genesis.validatorCount), replica.isChangingView,
         transferTarget != nil, mempool.count)
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
                timers[kind]?.cancel()
                timers[kind] = nil
                timerGenerations[kind] = nil
            case .persist:
                break
            case let .commit(committed):
                if let event = execute(committed) { followUps.append(event) }
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
                logger.debug("relaying held transactions to the primary", metadata: ["count": "\(requests.count)", "peer": "\(to)"])
                gossip(requests, to: [to])
            }
        }
        if !unsaved.isEmpty { persist(unsaved) }
    }

    /// Sends a message the replica produced to `recipients` (`nil`: every other validator). A
    /// Byzantine test validator routes it through its behaviour first.
    private func emit(_ message: LedgerMessage, to recipients: [ReplicaID]?) {
        guard behaviour != nil else {
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
        let others = (0..<genesis.validatorCount).map(ReplicaID.init).filter { $0 != replicaID }
        let context = AdversaryContext(
            replica: replicaID, replicaCount: genesis.validatorCount, chainID: genesis.chainID,
            signer: Ed25519MessageSigner(key: signingKey), now_ms: Self.nowMs(),
            viewChangeTimeout_ms: genesis.consensus.viewChangeTimeoutMs, window: genesis.consensus.window)
        let emissions = behaviour!.transform(message, to: recipients ?? others, context: context)
        for emission in emissions {
            let bytes = Envelope.wrap(emission.message)
            let targets = emission.recipients.filter { $0 != replicaID }
            if emission.delay_ms == 0 {
                for to in targets { _ = network.send(bytes, to: PeerID(to.index)) }
            } else {
                let network = self.network
                let delay = min(emission.delay_ms, 60_000)
                Task {
                    try? await Task.sleep(for: .milliseconds(delay))
                    for to in targets { _ = network.send(bytes, to: PeerID(to.index)) }
                }
            }
        }
    }

    /// Sends transactions as mempool gossip to `recipients` (`nil`: every other validator); the
    /// receivers check them like any gossip. A Byzantine test validator's behaviour may narrow
    /// the recipients (`ByzantineBehaviour.gossipRecipients`).
    private func gossip(_ txs: [Transaction], to recipients: [ReplicaID]?) {
        guard behaviour != nil else {
            for frame in TransactionGossip.frames(txs) {
                if let recipients {
                    for to in recipients { _ = network.send(frame, to: PeerID(to.index)) }
                } else {
                    _ = network.broadcast(frame)
                }
            }
            return
        }
        let everyone = recipients ?? (0..<genesis.validatorCount).map(ReplicaID.init).filter { $0 != replicaID }
        let primary = replica.view.primary(replicaCount: genesis.validatorCount)
        let targets = behaviour!.gossipRecipients(txs, to: everyone, primary: primary).filter { $0 != replicaID }
        for frame in TransactionGossip.frames(txs) {
            for to in targets { _ = network.send(frame, to: PeerID(to.index)) }
        }
    }

    /// Installs a Byzantine behaviour (test networks only; the caller checks the genesis).
    public func setBehaviour(_ behaviour: any ByzantineBehaviour) {
        self.behaviour = behaviour
        logger.critical("THIS VALIDATOR IS BYZANTINE", metadata: ["strategy": "\(behaviour.strategy)"])
    }

    /// Appends records durably. A failing disk is fatal: continuing could sign conflicting messages.
    private func persist(_ records: [LedgerLogRecord]) {
        let rows = records.map { r -> ConsensusLogRecord in
            let (kind, seq) = Self.logKey(r)
            return ConsensusLogRecord(view: replica.view, sequenceNumber: seq, kind: kind, bytes: r.encoded())
        }
        do {
            _ = try store.appendConsensusLog(rows)
            for r in records {
                if case let .stableCheckpoint(proof) = r {
                    recordStableCheckpoint(proof)
                    let pruned = try store.pruneConsensusLog(below: proof.sequence)
                    logger.debug("pruned consensus log", metadata: ["seq": "\(proof.sequence.rawValue)", "rows": "\(pruned)"])
                }
            }
        } catch {
            logger.critical("cannot persist the consensus log; stopping to stay safe", metadata: ["error": "\(error)"])
            fatalError("consensus log write failed: \(error)")
        }
    }

    /// The store kind byte and sequence of a record. View-level records get `UInt64.max`, which
    /// pruning by sequence never removes.
    static func logKey(_ r: LedgerLogRecord) -> (UInt8, SequenceNumber) {
        switch r {
        case let .prePrepare(m, _): (1, m.body.sequence)
        case let .prepare(m): (2, m.body.sequence)
        case let .commit(m): (3, m.body.sequence)
        case let .checkpoint(m): (4, m.body.sequence)
        case .viewChange: (5, SequenceNumber(.max))
        case .newView: (6, SequenceNumber(.max))
        case let .stableCheckpoint(p): (7, p.sequence)
        }
    }

    private func setTimer(_ kind: TimerKind, afterMs: UInt64) {
        timers[kind]?.cancel()
        nextTimerGeneration += 1
        let generation = nextTimerGeneration
        timerGenerations[kind] = generation
        let delay = min(afterMs, 3_600_000)
        timers[kind] = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(delay))
            guard !Task.isCancelled else { return }
            await self?.timerFired(kind, generation: generation)
        }
    }

    private func timerFired(_ kind: TimerKind, generation: UInt64) {
        guard timerGenerations[kind] == generation else { return }
        timerGenerations[kind] = nil
        timers[kind] = nil
        handle(.timerFired(kind))
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
            let block = try Self.apply(committed.batch, proposer: committed.proposer,
                                       certificate: committed.certificate.encoded(), previous: head.header, store: store)
            mempool.remove(committed.batch.transactions.map(\.hash))
            admission.committed(block.transactions.count, nowMs: Self.nowMs())
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

    /// Executes `batch` on top of `previous` against the store's accounts and applies it.
    static func apply(_ batch: Batch, proposer: ReplicaID, certificate: [UInt8], previous: BlockHeader,
                      store: LedgerStore) throws(StoreError) -> Block {
        // `accounts(for:)` skips repeated keys itself.
        var keys: [PublicKey] = []
        keys.reserveCapacity(batch.transactions.count * 2)
        for tx in batch.transactions {
            keys.append(tx.sender)
            keys.append(tx.recipient.publicKey)
        }
        let snapshot = try store.accounts(for: keys)
        let execution = StateTransition.execute(batch: batch, previous: previous, proposer: proposer, accounts: snapshot)
        try store.apply(execution, certificate: certificate)
        return execution.block
    }
}
