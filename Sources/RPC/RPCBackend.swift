import LedgerCore
import LedgerCrypto

/// What the RPC server needs from the node. The node implements it; tests may fake it.
public protocol RPCBackend: Sendable {
    /// The node's current status.
    func status() async -> NodeStatus
    /// Admits a signed transaction (its canonical encoding) to the mempool; returns its hash.
    func submitTransaction(_ encoded: [UInt8]) async throws(RPCError) -> Digest
    /// The committed account for `address` (a never-seen address has balance 0 and nonce 0).
    func account(_ address: Address) async throws(RPCError) -> Account
    /// The block at `height`, or the latest when `nil`; `nil` if there is none yet.
    func block(at height: Height?) async throws(RPCError) -> Block?
}

/// The `status` result.
public struct NodeStatus: Sendable, Equatable {
    /// The chain id from genesis.
    public var chainID: String
    /// This validator's id.
    public var nodeID: ReplicaID
    /// The last executed block height.
    public var height: Height
    /// That block's hash.
    public var latestBlockHash: Digest
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

    /// A status from its fields.
    public init(chainID: String, nodeID: ReplicaID, height: Height, latestBlockHash: Digest, view: View, primary: ReplicaID,
                isCatchingUp: Bool, peers: [ReplicaID], isChangingView: Bool, mempoolSize: Int) {
        self.chainID = chainID; self.nodeID = nodeID; self.height = height; self.latestBlockHash = latestBlockHash
        self.view = view; self.primary = primary; self.isCatchingUp = isCatchingUp; self.peers = peers
        self.isChangingView = isChangingView; self.mempoolSize = mempoolSize
    }
}
