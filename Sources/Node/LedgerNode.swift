import Foundation
import LedgerCore
import LedgerCrypto
import LedgerStore
import Logging
import NIOPosix
import P2P
import PBFT
import RPC
import Synchronization

/// A running node — a validator, or a full node that follows the chain without voting: store, P2P
/// network, consensus driver, message verification and RPC.
public final class LedgerNode: Sendable {
    /// The loaded home.
    public let home: NodeHome
    /// The consensus driver.
    public let driver: ConsensusDriver
    let store: LedgerStore
    let network: PeerNetwork
    let verifiedTransactions: VerifiedTransactionCache
    /// Checks consensus-message signatures for every peer worker, each distinct one once.
    let signatureCache: CachingSignatureScheme
    /// Groups client and gossip submissions on their way into the driver.
    let admissions: AdmissionQueue
    /// What each peer's transaction gossip may cost this node (decision 0009).
    let gossipBudgets: GossipBudgets
    /// Refused peer messages, counted and logged rate-limited (`PeerRefusals`).
    let peerRefusals = PeerRefusals()
    let logger: Logger
    private let tasks = TaskBox()

    /// Opens the store and builds the network and driver; `start()` begins work.
    public init(home: NodeHome, logger base: Logger) throws(NodeError) {
        var logger = base
        logger[metadataKey: "replica"] = home.role == .full ? "full" : "\(home.localID)"
        self.home = home
        self.logger = logger
        let genesis = home.genesis
        let dataDirectory = (home.databasePath as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true) } catch {
            throw .file(path: dataDirectory, reason: "\(error)")
        }
        do {
            store = try LedgerStore.open(path: home.databasePath, genesis: genesis, configuration: home.config.storeConfiguration)
        } catch { throw .store(error, doing: "opening \(home.databasePath)") }
        // The seat in the current epoch (after validator-set changes the set differs from genesis, decision 0038).
        let memo = SignatureMemo()
        var seat: ConsensusSeat
        // The key this node signs with: its key, or the next one once a change rotated it in (`node_key.next.json`).
        var signingKey = home.key.signingKey
        let nextKey = home.nextKey?.signingKey
        do {
            let membership = try store.membership(genesis: genesis)
            seat = try ConsensusSeat.starting(store: store, genesis: genesis, membership: membership,
                                              key: signingKey.publicKey, memo: memo)
            if seat.role == .full, let next = nextKey {
                let rotated = try ConsensusSeat.starting(store: store, genesis: genesis, membership: membership,
                                                         key: next.publicKey, memo: memo)
                if rotated.role == .validator {
                    seat = rotated
                    signingKey = next
                    logger.notice("signing with the rotated key (\(NodeHome.nextKeyFileName)); move it over the key file before approving changes with this home",
                                  metadata: ["key": "\(next.publicKey.hex)", "epoch": "\(seat.epoch)"])
                }
            }
        } catch { throw .store(error, doing: "reading the validator set") }
        if seat.role != home.role {
            logger.notice("this node's role follows the validator set of the current epoch", metadata: [
                "configured": "\(home.role.rawValue)", "role": "\(seat.role.rawValue)", "epoch": "\(seat.epoch)",
            ])
        }
        let validators = Dictionary(uniqueKeysWithValues: seat.validators.map { (PeerID($0.id.index), $0.publicKey) })
        guard let listen = NodeConfig.hostPort(home.config.p2pListen) else {
            throw .invalidConfig(path: "config.json", reason: "p2p_listen")
        }
        do {
            let identity = try NetworkIdentity(
                chainID: genesis.chainID, genesisHash: genesis.genesisHash, localID: PeerID(seat.replicaID.index),
                signingKey: signingKey, validators: validators,
                // A full node listens nowhere, so its policy only matters once a change makes it a validator.
                fullNodes: FullNodePolicy(
                    maxConnected: home.config.maxFullNodes ?? NodeLimits.fullNodePeersMax,
                    allowedKeys: Set((home.config.fullNodes ?? []).compactMap { try? PublicKey(hex: $0) })))
            network = try PeerNetwork(
                identity: identity, listenAddress: PeerAddress(host: listen.host, port: listen.port), limits: .standard,
                logger: logger)
        } catch { throw .network("\(error)") }
        verifiedTransactions = VerifiedTransactionCache()
        signatureCache = seat.keys.scheme(epoch: seat.epoch)!
        // `peers` in config.json names validators by their genesis index; after a change their index may differ.
        var overrides: [PublicKey: PeerAddress] = [:]
        for (index, hp) in home.config.peerOverrides ?? [:] where genesis.validators.indices.contains(index) {
            overrides[genesis.validators[index].publicKey] = PeerAddress(host: hp.host, port: hp.port)
        }
        driver = try ConsensusDriver(
            genesis: genesis, seat: seat, signingKey: signingKey, nextKeyPath: home.nextKeyPath, store: store, network: network,
            verifiedTransactions: verifiedTransactions, logger: logger,
            partialBatchDepth: home.config.partialBatchDepth ?? PBFTLimits.defaultPartialBatchDepth,
            addressOverrides: overrides)
        admissions = AdmissionQueue(driver: driver)
        gossipBudgets = GossipBudgets(
            peers: seat.validators.map(\.id.index).filter { $0 != seat.replicaID.index } + [GossipBudgets.fullNodesKey],
            transactionsPerSecond: home.config.gossipBudgetTxPerSecond ?? NodeLimits.gossipBudgetTransactionsPerSecond,
            bytesPerSecond: home.config.gossipBudgetBytesPerSecond ?? NodeLimits.gossipBudgetBytesPerSecond)
    }

    /// Binds the P2P and RPC ports, dials the other validators and starts consensus.
    public func start() async throws(NodeError) {
        let seat = driver.seat
        if seat.role == .full {
            if home.isFullNodeByDefault && seat.epoch == 0 {
                logger.notice("this key is not a validator of the chain: running as a full node (set role in config.json to be explicit)")
            }
            logger.notice("full node: following the chain without voting", metadata: [
                "key": "\(driver.signingKeyPublic.hex)", "validators": "\(seat.validators.count)", "epoch": "\(seat.epoch)",
            ])
            do { try network.startDialOnly() } catch { throw .network("\(error)") }
        } else {
            try await listen()
        }
        var peers: [PeerID: PeerAddress] = [:]
        let overrides = home.config.peerOverrides ?? [:]
        for v in seat.validators where v.id != seat.replicaID || seat.role == .full {
            if let address = driver.addressOverrides[v.publicKey] {
                peers[PeerID(v.id.index)] = address
            } else if let hp = NodeConfig.hostPort(v.p2pAddress) {
                peers[PeerID(v.id.index)] = PeerAddress(host: hp.host, port: hp.port)
            }
        }
        if !overrides.isEmpty {
            logger.notice("dialling peers at config overrides", metadata: [
                "peers": "\(overrides.keys.sorted().map { "\($0)=\(overrides[$0]!.host):\(overrides[$0]!.port)" })",
            ])
        }
        do { try network.connect(to: peers) } catch { throw .network("\(error)") }
        try await driver.start()
        startMessagePump()
        try await startRPC()
    }

    /// A validator binds its P2P port.
    private func listen() async throws(NodeError) {
        let bound: PeerAddress
        do { bound = try await network.start() } catch { throw .network("cannot listen on \(home.config.p2pListen): \(error)") }
        logger.info("p2p listening", metadata: [
            "address": "\(bound)",
            "gossip_budget_tx_per_s": "\(home.config.gossipBudgetTxPerSecond ?? NodeLimits.gossipBudgetTransactionsPerSecond)",
            "gossip_budget_bytes_per_s": "\(home.config.gossipBudgetBytesPerSecond ?? NodeLimits.gossipBudgetBytesPerSecond)",
            "max_full_nodes": "\(network.identity.fullNodes.maxConnected)",
        ])
    }

    /// Makes this validator Byzantine (`ledger-node start --byzantine`): every message it sends,
    /// request it sees and message it receives goes through `interceptor`. Refused unless the
    /// genesis marks the chain as a test network. Call before `start()`.
    public func intercept(with interceptor: sending any MessageInterceptor) async throws(NodeError) {
        guard home.role == .validator else {
            throw .invalidArgument("--byzantine plays a validator's faults; this node is a full node (it signs no consensus messages)")
        }
        guard home.genesis.isTestNetwork else {
            throw .invalidGenesis(
                path: home.config.genesisFile,
                reason: "--byzantine is only allowed on a test network (genesis \"test_network\": true); refusing to start")
        }
        await driver.intercept(with: interceptor)
    }

    /// The worker that decodes, checks and delivers `peer`'s messages (`clock`: monotonic ms, for its gossip budget).
    func makePeerWorker(
        for peer: Int, gossipBudget: PeerGossipBudget? = nil,
        clock: @escaping @Sendable () -> UInt64 = PeerWorker.monotonicMs
    ) -> PeerWorker {
        let genesis = home.genesis
        let cache = verifiedTransactions
        let checkBatch = LedgerMessageVerifier.ledgerBatchCheck(
            chainID: genesis.chainID, limits: genesis.consensus.batchLimits, isKnownValid: { cache.contains($0) },
            didVerify: { cache.insert($0) })
        return PeerWorker(
            driver: driver, store: store, network: network, checkBatch: checkBatch, cache: cache, admissions: admissions,
            genesis: genesis, gossipBudget: gossipBudget ?? gossipBudgets.budget(for: peer), clock: clock, refusals: peerRefusals,
            logger: logger)
    }

    private func startMessagePump() {
        // Two lanes per peer, each its own worker: votes, view changes and block transfer in one,
        // transaction gossip in the other. One lane made every consensus message wait behind the
        // signature checks of the gossip that arrived before it: under heavy load a PREPARE queued
        // behind seconds of gossip, blocks committed slower, the backlog grew, and an open-loop
        // run at 75 % of the closed-loop peak fell to a fifth of it until the pace check changed
        // views. Each lane keeps its own order; a batch whose transactions overtake their gossip
        // is checked by the batch verifier (and the later gossip is then known).
        //
        // Memory: every payload counts against its peer's receive budget in the transport until the
        // worker is done with it (`PeerNetwork.consumed`); past the budget the peer is read no
        // further, so a peer whose consensus lane backs up slows itself down and nothing is dropped.
        // The gossip lane has its own smaller bound (`GossipLaneBound`): past it gossip frames are
        // dropped undecoded, so a gossip backlog can never pause the peer's votes.
        // A validator's lanes are opened on its first message, so validators that join the set later get theirs.
        let validatorLanes = ValidatorLanes(node: self)
        let network = self.network
        let fullNodeLanes = FullNodeLanes(node: self)
        let pump = Task.detached {
            for await message in network.messages {
                if message.from.isFullNode {
                    fullNodeLanes.route(message)
                } else {
                    validatorLanes.route(message)
                }
            }
            validatorLanes.finish()
            fullNodeLanes.finish()
        }
        tasks.set(pump: pump, workers: [])
    }

    /// Starts the RPC server and returns once it listens; throws when it cannot (port taken, bad address), so a
    /// node never runs on without the RPC its operator configured.
    private func startRPC() async throws(NodeError) {
        guard let hp = NodeConfig.hostPort(home.config.rpcListen) else { return }
        let metrics = NodeMetrics(metrics: RPCMetrics())
        _ = metrics.observe(driver.events)  // ends when the events finish at shutdown
        let inspection = InspectionSnapshot(await driver.inspect())
        let driver = self.driver
        tasks.set(inspection: Task.detached { await inspection.keepFresh(from: driver) })
        let backend = NodeRPCBackend(driver: driver, admissions: admissions, store: store, network: network, genesis: home.genesis,
                                     verifiedTransactions: verifiedTransactions, signatures: signatureCache,
                                     p2pListen: home.config.p2pListen,
                                     metrics: metrics, gossipBudgets: gossipBudgets, peerRefusals: peerRefusals,
                                     inspection: inspection)
        let configuration = home.config.rpcServerConfiguration
        let server = RPCServer(backend: backend, host: hp.host, port: hp.port, metrics: metrics.metrics,
                               configuration: configuration, logger: logger)
        let logger = self.logger
        // The first value says how the start went: the bound port, or why the server ended before binding.
        let (started, outcome) = AsyncStream<Result<Int, any Error>>.makeStream(bufferingPolicy: .bufferingOldest(1))
        let task = Task.detached {
            do {
                try await server.run(onBound: { port in outcome.yield(.success(port)) })
                outcome.yield(.failure(CancellationError()))
            } catch {
                outcome.yield(.failure(error))
                logger.error("rpc server stopped", metadata: ["error": "\(error)"])
            }
            outcome.finish()
        }
        tasks.set(rpc: task)
        let deadline = Task {
            try await Task.sleep(for: .milliseconds(NodeLimits.rpcBindTimeoutMs))
            outcome.yield(.failure(NodeError.network("the RPC server did not start listening within \(NodeLimits.rpcBindTimeoutMs) ms")))
        }
        defer { deadline.cancel() }
        var first = started.makeAsyncIterator()
        switch await first.next() {
        case let .success(port)?:
            logger.info("rpc listening", metadata: [
                "address": "\(hp.host):\(port)",
                "max_connections_per_address": "\(configuration.maxConnectionsPerAddress)",
                "allowed_hosts": "\(configuration.hostPolicy.allowedHosts.sorted())",
                "allowed_origins": "\(configuration.hostPolicy.allowedOrigins.sorted())",
            ])
        case let .failure(error)?:
            throw .network("cannot listen for JSON-RPC on \(home.config.rpcListen): \(error)")
        case nil:
            throw .network("cannot listen for JSON-RPC on \(home.config.rpcListen)")
        }
    }

    /// Clean shutdown: stop taking requests, let the block being executed finish, stop the
    /// network and close the store.
    public func shutdown() async {
        logger.info("shutting down")
        tasks.rpc?.cancel()
        tasks.inspection?.cancel()
        await driver.stop()
        driver.events.finishAll()
        await network.shutdown()
        tasks.pump?.cancel()
        for w in tasks.workers { w.cancel() }
        _ = await tasks.rpc?.value
        store.close()
        logger.info("stopped")
    }
}

/// The node's background tasks (set during start, read by shutdown).
private final class TaskBox: Sendable {
    private struct Tasks {
        var pump: Task<Void, Never>?
        var workers: [Task<Void, Never>] = []
        var rpc: Task<Void, Never>?
        var inspection: Task<Void, Never>?
    }
    private let tasks = Mutex(Tasks())
    var pump: Task<Void, Never>? { tasks.withLock { $0.pump } }
    var workers: [Task<Void, Never>] { tasks.withLock { $0.workers } }
    var rpc: Task<Void, Never>? { tasks.withLock { $0.rpc } }
    func set(pump: Task<Void, Never>, workers: [Task<Void, Never>]) {
        tasks.withLock { $0.pump = pump; $0.workers = workers }
    }
    func set(rpc: Task<Void, Never>) { tasks.withLock { $0.rpc = rpc } }
    var inspection: Task<Void, Never>? { tasks.withLock { $0.inspection } }
    func set(inspection: Task<Void, Never>) { tasks.withLock { $0.inspection = inspection } }
}

/// The bound of one peer's gossip lane: frames and bytes waiting for its worker
/// (`NodeLimits.gossipQueuePerPeer`, `gossipQueueBytesPerPeer`).
final class GossipLaneBound: Sendable {
    private let waiting = Mutex<(frames: Int, bytes: Int)>((0, 0))

    /// Counts `message` in if it fits; `false` (nothing counted) when the lane is full.
    func take(_ message: PeerMessage) -> Bool {
        waiting.withLock { w in
            guard w.frames < NodeLimits.gossipQueuePerPeer, w.bytes + message.bytes.count <= NodeLimits.gossipQueueBytesPerPeer
            else { return false }
            w.frames += 1
            w.bytes += message.bytes.count
            return true
        }
    }

    /// The worker is done with `message`.
    func release(_ message: PeerMessage) {
        waiting.withLock { w in
            w.frames = max(0, w.frames - 1)
            w.bytes = max(0, w.bytes - message.bytes.count)
        }
    }
}
