import Adversary
import LedgerCore
import LedgerCrypto
import PBFT

/// The state of one run in progress. Single-threaded; every random choice comes from `random`
/// in event order, so the same scenario replays exactly.
final class SimulationRun {
    let scenario: Scenario
    let parameters: SimulationParameters
    let traceSink: ((TraceLevel, String) -> Void)?
    /// Highest sequence number already traced as committed (compact trace shows each once).
    var tracedCommit = SequenceNumber.zero

    var random: SimulationRandom
    let scheme: SimulationKeys
    let signatureCache = TransactionSignatureCache()
    /// One verifier per planned epoch (index = epoch), each with the keys of that epoch's set.
    let verifiers: [LedgerMessageVerifier]
    /// The run's planned validator-set changes and the set of every epoch (`MembershipPlan`).
    let plan: MembershipPlan
    /// The changes the ledger accepted so far, in order (`membershipChanges[e]` ends epoch `e`).
    var membershipChanges: [MembershipChange] = []
    /// The first of them.
    var membershipChange: MembershipChange? { membershipChanges.first }
    /// The height at which the operator last submitted the next change.
    var changeSubmittedAt: Height?
    /// Heights whose applied changes the membership check has examined.
    var checkedChangeHeights: Set<Height> = []
    /// Nodes whose replica completed its epoch, switched once the current event's follow-ups are done.
    var epochSwitches: [(ReplicaID, EpochCompletion)] = []
    let faults: FaultSchedule
    let honest: ReplicaSet
    let byzantine: ReplicaSet

    var queue = EventQueue<SimulationEvent>()
    var now = VirtualTime.zero
    var nodes: [SimulatedNode] = []
    var clients: [SimulatedClient] = []
    var activePartitions: [Int: ActivePartition] = [:]

    var safety = SafetyChecker()
    var liveness: LivenessChecker
    var memory: MemoryChecker
    var invariants = InvariantChecker()
    var contractViolations: [Violation] = []
    /// The full node (`Scenario.fullNode`), and what its checks found.
    var follower: SimulatedFollower?
    var followerViolations: [Violation] = []
    /// The key slot of each validator's Ed25519 key (how the full node finds consensus keys from its own chain).
    lazy var keySlotByLedgerKey: [PublicKey: Int] = {
        var slots: [PublicKey: Int] = [:]
        for slot in 0..<plan.keyCount { slots[SimulationParameters.ledgerValidatorKey(slot).publicKey] = slot }
        return slots
    }()
    /// Self-tests only: break the full node on purpose, to show its checks fail.
    var followerSabotage: FollowerSabotage?
    /// When an honest replica first executed each height (the full node's lag is measured from it).
    var firstExecutedAt: [Height: VirtualTime] = [:]

    var events = 0
    var messagesDelivered = 0
    var rejectedAtVerification = 0
    /// The largest encoded message an honest replica sent (votes aside), bytes.
    var largestMessageBytes = 0
    var traffic = TrafficTally()
    /// The replica every client submits to, when a Byzantine one attracts them
    /// (`ByzantineBehaviour.attractsClients`); `nil`: clients reach every replica.
    var clientEntry: ReplicaID?
    var viewsEntered: Set<View> = []
    /// The height each transaction first committed at on the honest chain (a second height is a violation).
    var committedAt: [Digest: Height] = [:]
    /// When an honest replica first started a view change to each view.
    var viewChangeFirstStarted: [View: VirtualTime] = [:]
    /// Lone view changes honest replicas abandoned for the view the others worked in.
    var abandonedViewChanges = 0
    var transactionsCommitted = 0
    var stopReason: RunResult.StopReason = .quiescent
    /// Inputs produced while performing actions (e.g. `.executed` after `.commit`), fed in order
    /// once the current action list is done.
    var followUps: [(ReplicaID, LedgerEvent)] = []
    var isDraining = false
    var handleCount = 0
    /// Client index by the first 8 bytes of its account key (hashing a whole key is slow).
    var clientByKeyPrefix: [UInt64: Int] = [:]

    init(scenario: Scenario, parameters: SimulationParameters, trace: ((TraceLevel, String) -> Void)?) {
        self.scenario = scenario
        self.parameters = parameters
        self.traceSink = trace
        var random = SimulationRandom(seed: scenario.seed)
        let n = scenario.replicaCount
        let kinds = parameters.plannedChangeKinds

        // Keys first (a fixed number of draws), then who is Byzantine, then faults.
        var keyRandom = random.fork()
        scheme = SimulationKeys(replicaCount: MembershipPlan.keyCount(kinds: kinds, replicaCount: n), random: &keyRandom)
        var clientRandom = random.fork()
        clients = (0..<scenario.clientCount).map { SimulatedClient(index: $0, random: &clientRandom) }

        let byzantine = SimulationRun.chooseByzantine(scenario: scenario, random: &random)
        self.byzantine = byzantine
        let plan = MembershipPlan(parameters: parameters, replicaCount: n, byzantine: byzantine, seed: scenario.seed)
        self.plan = plan
        honest = ReplicaSet.all(plan.nodeCount).subtracting(byzantine)
        faults = FaultSchedule.draw(
            mix: scenario.faults, replicaCount: n, honest: honest, maxClockDriftMs: parameters.maxClockDriftMs,
            random: &random)

        let cache = signatureCache
        let chainID = parameters.chainID
        let limits = BatchLimits(maxTransactions: parameters.maxBatchTxs, maxBytes: 1_000_000)
        let checkBatch: @Sendable (Batch) -> BatchCheck = { batch in
            for tx in batch.transactions where tx.chainID == chainID { _ = cache.isValid(tx) }
            do throws(BatchError) {
                try batch.validate(chainID: chainID, limits: limits, isKnownValid: cache.isKnownValid)
                return .valid
            } catch {
                return .invalid("\(error)")
            }
        }
        let keys = scheme
        verifiers = plan.sets.enumerated().map { epoch, set in
            LedgerMessageVerifier(context: parameters.signingContext(epoch: UInt64(epoch)),
                                  scheme: EpochKeys(keys: keys, keySlots: set.keySlots), checkBatch: checkBatch)
        }

        let f = scenario.f
        liveness = LivenessChecker(
            gst: faults.gst,
            boundMs: parameters.livenessBoundMs(f: f, maxMessageDelayMs: faults.network.maxDelayMs))
        memory = MemoryChecker(maxEntries: parameters.maxLogEntries)

        // Genesis: every client funded.
        let accounts = clients.map { Account(publicKey: $0.key.publicKey, balance: parameters.initialBalance) }
        let genesis = BlockHeader(
            height: .zero, previousHash: .zero, batchDigest: .zero, view: .zero, proposer: ReplicaID(0),
            timestamp: parameters.epochMs, txRoot: Merkle.root([]), stateHash: StateHash.genesis(accounts: accounts),
            txCount: 0)
        let ledger = SimulatedLedger(
            genesis: genesis, accounts: AccountState(accounts: accounts),
            membership: SimulationParameters.ledgerMembership(replicaCount: n), rules: parameters.changeRules)

        let coalition = scenario.isCollusionSelfTest ? Coalition() : nil
        var behaviourRandom = random.fork()
        for i in 0..<n {
            let id = ReplicaID(i)
            var behaviour: (any ByzantineBehaviour)?
            if byzantine.contains(id) {
                let strategy: ByzantineStrategy
                if scenario.isCollusionSelfTest {
                    strategy = i == 0 ? .equivocate : .doubleVote
                } else {
                    strategy = scenario.strategy ?? .silent
                }
                behaviour = strategy.makeBehaviour(
                    seed: behaviourRandom.next(), censoredClient: clients[0].key.publicKey, coalition: coalition)
            }
            nodes.append(SimulatedNode(
                id: id, behaviour: behaviour, ledger: ledger, clockOffsetMs: faults.clockOffsetsMs[i]))
        }
        for j in n..<plan.nodeCount {
            // A joining validator: honest, no faults of its own; it starts with its epoch (`switchEpoch`).
            nodes.append(SimulatedNode(id: ReplicaID(j), behaviour: nil, ledger: ledger, clockOffsetMs: 0))
        }
        self.random = random
        clientEntry = nodes.first { $0.behaviour?.attractsClients == true }?.id
        for c in clients { clientByKeyPrefix[SimulationRun.keyPrefix(c.key.publicKey)] = c.index }
    }

    /// Which replicas run the strategy: the primary of view 0 (and its successors) for the
    /// strategies that act as primary, the primary of view 1 for `bad-new-view` and
    /// `selective-gossip` (view 0's primary is the honest one it tries to have voted out),
    /// otherwise a seeded choice.
    static func chooseByzantine(scenario: Scenario, random: inout SimulationRandom) -> ReplicaSet {
        let n = scenario.replicaCount
        let k = scenario.byzantineCount
        guard k > 0 else { return ReplicaSet() }
        if scenario.isCollusionSelfTest { return ReplicaSet((0..<k).map(ReplicaID.init)) }
        switch scenario.strategy {
        case .equivocate?, .slowPrimary?, .invalidTx?, .censor?:
            return ReplicaSet((0..<k).map(ReplicaID.init))
        case .badNewView?, .selectiveGossip?:
            return ReplicaSet((1...k).map { ReplicaID($0 % n) })
        default:
            var ids = Array(0..<n)
            var chosen = ReplicaSet()
            for _ in 0..<k {
                let j = random.index(ids.count)
                chosen.insert(ReplicaID(ids.remove(at: j)))
            }
            return chosen
        }
    }

    static func keyPrefix(_ key: PublicKey) -> UInt64 {
        key.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }

    /// The simulated client that signed `tx`, if any.
    func client(sending tx: Transaction) -> Int? {
        guard let c = clientByKeyPrefix[SimulationRun.keyPrefix(tx.sender)], clients[c].key.publicKey == tx.sender else {
            return nil
        }
        return c
    }

    // MARK: Tracing

    func trace(_ line: @autoclosure () -> String, level: TraceLevel = .compact) {
        guard let sink = traceSink else { return }
        sink(level, "[\(String(now.milliseconds).leftPadded(7))ms] \(line())")
    }

    // MARK: Clock

    /// Replica `id`'s clock reading, ms since the Unix epoch.
    func clock(of id: ReplicaID) -> UInt64 {
        let base = parameters.epochMs &+ now.milliseconds
        let offset = nodes[id.index].clockOffsetMs
        return offset >= 0 ? base &+ UInt64(offset) : base &- UInt64(-offset)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
