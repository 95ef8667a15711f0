/// Every bound the node itself sets, in one place (the libraries keep their own).
public enum NodeLimits {
    /// Most transactions waiting in the mempool.
    public static let mempoolCapacity = 100_000

    /// Most validator-set changes a node holds until a block commits them (one can take effect per epoch).
    public static let pendingChangesMax = 4
    /// Most transactions of one sender waiting in the mempool before its client transactions are
    /// refused (`sender_limit`, retryable). Every admitted transaction costs every validator a
    /// signature check and a place in a batch; this keeps one sender from filling the mempool
    /// and the busy gate's backlog, while a block's worth from one wallet still fits.
    public static let pendingTransactionsPerSender = 64
    /// Most transaction hashes remembered as having a valid signature.
    public static let verifiedTransactionCacheCapacity = 200_000
    /// Most valid consensus-message signatures remembered (`CachingSignatureScheme`): a full
    /// window of prepared certificates from every replica, several times over.
    public static let verifiedSignatureCacheCapacity = 65_536
    /// Most blocks asked for in one state-transfer request. Ranges are cut to end at checkpoint
    /// sequence numbers, so with a checkpoint interval of 100 a range is 500 blocks.
    public static let stateTransferBlocksPerRequest = 512
    /// Most ranges fetched past a transfer's target (each block verified by its own certificate)
    /// before the replica takes over.
    public static let stateTransferTailRangesMax = 4
    /// Largest commit certificate or stable-checkpoint proof accepted in a state-transfer response, bytes.
    public static let stateTransferCertificateMaxBytes = 1 << 20
    /// Block ranges requested and verified ahead of the one being applied during state transfer.
    public static let stateTransferRangesInFlight = 4
    /// Most payload bytes of one state-transfer response (below the P2P payload limit).
    public static let stateTransferResponseMaxBytes = 6 * 1024 * 1024
    /// How long to wait for a state-transfer response before asking another peer, ms.
    public static let stateTransferTimeoutMs: UInt64 = 3_000
    /// How long `start()` waits for the RPC server to bind its port before giving up, ms.
    public static let rpcBindTimeoutMs: Int64 = 30_000
    /// Most incoming transaction-gossip frames queued per peer for verification (a frame holds up
    /// to `gossipTransactionsPerFrame` transactions); past this (or `gossipQueueBytesPerPeer`)
    /// new frames are dropped undecoded and counted: the sending node and the batches that carry
    /// them still have those transactions. Consensus messages have no such bound of their own:
    /// they wait within the transport's receive budget (`P2PLimits.receiveBudgetBytesPerPeer`),
    /// past which the peer is read no further.
    public static let gossipQueuePerPeer = 1_024
    /// Most bytes of transaction gossip queued per peer for verification (a quarter of the
    /// transport's receive budget, so gossip alone never pauses a peer's votes).
    public static let gossipQueueBytesPerPeer = 4 * 1024 * 1024
    /// Transactions per second of gossip one peer may make this node decode and verify
    /// (`GossipAllowance`, decision 0009); past it the peer's transactions are dropped undecoded.
    /// An honest validator sends a peer each transaction at most twice a view (its clients' gossip,
    /// which its admission control keeps near the chain's commit rate, and a backup's relay to the
    /// primary), so it stays below twice the commit rate: the best commit rate measured on the
    /// reference machine is 7,140 tx/s (docs/perf-log), twice that 14,280, rounded up to 16,384.
    /// `config.json` `gossip_budget_tx_per_second` overrides it (raise it on a network that commits more).
    public static let gossipBudgetTransactionsPerSecond = 16_384
    /// Bytes per second of the same budget: the transaction budget in transactions of the largest
    /// size (`Limits.transactionMaxBytes`, 476 B) rounded up to 8 MiB. With today's size limit the
    /// count binds first; this keeps a larger size limit from silently raising what a peer may make
    /// this node decode. `config.json` `gossip_budget_bytes_per_second` overrides it.
    public static let gossipBudgetBytesPerSecond = 8 * 1024 * 1024
    /// The budget's burst, in seconds of its rate: twice a validator's admission backlog at the
    /// measured peak (7,140 tx/s × ⅔ of the pace ceiling, 1.5 s with the 2 s default view-change
    /// timeout: ≈ 7,100 transactions, gossiped as fast as they are admitted).
    public static let gossipBudgetBurstSeconds = 1
    /// Extra transactions' worth charged for a gossiped transaction an honest sender would have
    /// refused itself (undecodable, another chain, zero amount, unknown sender, bad signature).
    public static let gossipFaultPenaltyTransactions = 64
    /// Highest rate a gossip budget may be configured with (per second, transactions or bytes).
    public static let gossipBudgetMaxRate = 1 << 32
    /// How often, at most, the node logs that one peer's gossip goes over its budget, ms.
    public static let gossipBudgetLogIntervalMs: UInt64 = 5_000
    /// Most transactions in one gossip frame (`TransactionGossip`); a frame of that many
    /// largest-size transactions stays far below the P2P payload limit.
    public static let gossipTransactionsPerFrame = 1_024
    /// Most transactions waiting in the admission queue for the driver (`AdmissionQueue`);
    /// past this a submission is refused as "mempool full" at once instead of queueing.
    public static let admissionQueueCapacity = 16_384
    /// Most transactions handed to the driver in one admission call.
    public static let admissionBatchMax = 2_048
    /// Share (permille) of the pace check's current bound that a new client transaction may be
    /// expected to wait before the node refuses client transactions as busy (`AdmissionControl`).
    /// Two thirds: the rest of the bound is the margin for what was admitted before the refusals began.
    public static let admissionWaitPermilleOfPaceBound: UInt64 = 667
    /// Share (permille) of the pace check's current bound the oldest unordered request may have
    /// waited, with a backlog of at least `admissionMinimumBacklogBatches` blocks, before the node
    /// refuses client transactions as busy. Age lags the backlog behind it, so this starts early.
    public static let admissionAgePermilleOfPaceBound: UInt64 = 333
    /// How long the RPC layer answers a busy refusal from the driver's last verdict before asking
    /// the driver again, ms (`BusyGate`: refused transactions then cost no signature check).
    public static let busyGateRecheckMs: UInt64 = 20
    /// How far back `AdmissionControl` measures the commit rate, ms.
    public static let admissionRateWindowMs: UInt64 = 2_000
    /// Blocks' worth of transactions (of the genesis's largest batch) always taken, whatever the
    /// commit rate (it is unknown at start and falls during a view change).
    public static let admissionMinimumBacklogBatches = 2
    /// The retry delay a busy refusal suggests to the client, ms.
    public static let busyRetryAfterMs: UInt64 = 100
    /// The retry hint sent with client transactions refused while the node changes view, ms (a
    /// view change takes a few retransmission intervals at least).
    public static let viewChangeRetryAfterMs: UInt64 = 500
    /// How long a busy spell may be before the node logs its progress again, ms.
    public static let busyLogIntervalMs: UInt64 = 5_000
    /// How often the RPC layer's copy of the driver's view, primary and mempool size is refreshed, ms
    /// (`InspectionSnapshot`; reads never wait on the driver, so this is how stale `status` may be).
    public static let inspectionRefreshMs: UInt64 = 50
    /// Largest config/key file read, bytes.
    public static let smallFileMaxBytes = 64 * 1024
    /// Shortest time between two log lines about refused peer messages, ms (`PeerRefusals`; every
    /// refusal is counted on `/metrics` regardless).
    public static let peerRefusalLogIntervalMs: UInt64 = 10_000
    /// Longest a test network's interceptor may hold one of its messages, ms (`InterceptedMessage`).
    public static let interceptedDelayMaxMs: UInt64 = 60_000
    /// Longest timer the driver arms, ms (the replica's timers are seconds; this only bounds a bad value).
    public static let timerDelayMaxMs: UInt64 = 3_600_000
    /// Full nodes a validator serves at once by default (config `max_full_nodes`): each gets every committed
    /// block pushed and may relay client transactions, so each costs about one block stream of upload.
    public static let fullNodePeersMax = 8
    /// Highest `max_full_nodes` a config may ask for.
    public static let fullNodePeersCeiling = 256
    /// How often a full node checks that it executed something, ms; when it did not, it asks a
    /// validator for blocks above its head (`ChainFollower`).
    public static let fullNodeProbeIntervalMs: UInt64 = 1_000
    /// How long a full node waits for a relayed transaction to commit before it sends it to the validators again, ms.
    public static let fullNodeRelayRetryMs: UInt64 = 3_000
    /// How long a full node keeps a relayed transaction that did not commit, ms; then it forgets it
    /// (the client may submit it again).
    public static let fullNodeRelayForgetMs: UInt64 = 60_000
    /// Block requests per second one full node may make of a validator (burst: one second's worth); past it they
    /// are dropped and counted (`ledger_peer_messages_refused{reason="over_rate"}`). A catch-up of 20 ranges of up to
    /// 512 blocks a second is far beyond what a full node needs (decision 0035).
    public static let fullNodeBlockRequestsPerSecond = 20

    /// How often a validator checks that it has a link to some validator of its set (`ConsensusDriver+CatchUp.swift`);
    /// after `isolationChecksBeforeCatchUp` checks in a row without one it catches up as a full node.
    public static let isolationCheckIntervalMs: UInt64 = 5_000
    /// Checks in a row without a link to any validator before a validator catches up as a full node.
    public static let isolationChecksBeforeCatchUp = 3
    /// The longest round of catching up as a full node before the validator votes again in the epoch it is in.
    public static let catchUpMaxMs: UInt64 = 30_000
    /// The shortest round of catching up that may end because transfers bring nothing (the links need a moment).
    public static let catchUpMinimumMs: UInt64 = 5_000
}
