import LedgerCore
import LedgerCrypto

/// The `status` result.
public struct NodeStatus: Sendable, Equatable {
    /// The chain id from genesis.
    public var chainID: String
    /// This validator's id; `nil` on a full node.
    public var nodeID: ReplicaID?
    /// "validator" or "full" (a node that follows the chain without voting).
    public var role: String
    /// The last executed block height.
    public var height: Height
    /// That block's hash.
    public var latestBlockHash: Digest
    /// That block's timestamp, ms since the Unix epoch.
    public var latestBlockTimeMs: UInt64
    /// The replica's current view.
    public var view: View
    /// The primary of that view.
    public var primary: ReplicaID
    /// Whether the node is fetching missing blocks by state transfer.
    public var isCatchingUp: Bool
    /// Validators this node has an authenticated outbound connection to.
    public var peers: [ReplicaID]
    /// Whether the replica is in the middle of a view change.
    public var isChangingView: Bool
    /// Transactions waiting in the mempool.
    public var mempoolSize: Int
    /// Sequence numbers in the log not yet committed here, with the votes still missing ("why is it stuck").
    public var openSequences: [OpenSequenceStatus]
    /// Set while the node withholds its votes because consensus-log records were lost: it votes
    /// again once its stable checkpoint reaches this sequence number (the voting fence).
    public var votesWithheldUntil: SequenceNumber?
    /// Set while the node follows its view without voting after abandoning a lone view change to
    /// this view: it votes again once a view at or above it is installed.
    public var followsUntilView: View?
    /// The node's software version (`SoftwareVersion.current`).
    public var version: String

    /// A status from its fields.
    public init(chainID: String, nodeID: ReplicaID?, role: String = "validator", height: Height, latestBlockHash: Digest, latestBlockTimeMs: UInt64 = 0,
                view: View, primary: ReplicaID, isCatchingUp: Bool, peers: [ReplicaID], isChangingView: Bool,
                mempoolSize: Int, openSequences: [OpenSequenceStatus] = [], votesWithheldUntil: SequenceNumber? = nil,
                followsUntilView: View? = nil, version: String = SoftwareVersion.current) {
        self.version = version
        self.role = role
        self.votesWithheldUntil = votesWithheldUntil
        self.followsUntilView = followsUntilView
        self.chainID = chainID; self.nodeID = nodeID; self.height = height; self.latestBlockHash = latestBlockHash
        self.latestBlockTimeMs = latestBlockTimeMs
        self.view = view; self.primary = primary; self.isCatchingUp = isCatchingUp; self.peers = peers
        self.isChangingView = isChangingView; self.mempoolSize = mempoolSize; self.openSequences = openSequences
    }
}

/// One uncommitted sequence number in the replica's log and which validators' votes it still lacks.
public struct OpenSequenceStatus: Sendable, Equatable {
    /// The sequence number (= block height once committed).
    public var sequence: SequenceNumber
    /// The view the votes below belong to.
    public var view: View
    /// The batch digest of the accepted PRE-PREPARE, if one arrived.
    public var digest: Digest?
    /// Validators whose PREPARE for `digest` was received (the primary's PRE-PREPARE counts as its prepare).
    public var preparesFrom: [ReplicaID]
    /// Validators whose COMMIT was received.
    public var commitsFrom: [ReplicaID]
    /// Validators whose PREPARE is still missing.
    public var missingPrepares: [ReplicaID]
    /// Validators whose COMMIT is still missing.
    public var missingCommits: [ReplicaID]

    /// An entry from its fields.
    public init(sequence: SequenceNumber, view: View, digest: Digest?, preparesFrom: [ReplicaID], commitsFrom: [ReplicaID],
                missingPrepares: [ReplicaID], missingCommits: [ReplicaID]) {
        self.sequence = sequence; self.view = view; self.digest = digest; self.preparesFrom = preparesFrom
        self.commitsFrom = commitsFrom; self.missingPrepares = missingPrepares; self.missingCommits = missingCommits
    }
}
