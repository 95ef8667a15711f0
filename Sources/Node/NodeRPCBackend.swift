import LedgerCore
import LedgerCrypto
import LedgerStore
import P2P
import RPC

/// The node's answers to RPC calls: reads from the store, writes through the driver's mempool.
struct NodeRPCBackend: RPCBackend {
    let driver: ConsensusDriver
    let store: LedgerStore
    let network: PeerNetwork
    let genesis: Genesis
    let verifiedTransactions: VerifiedTransactionCache

    func status() async -> NodeStatus {
        let snap = await driver.snapshot()
        let head = try? store.head()
        let peers = network.metrics.connectedOutbound.map { ReplicaID($0.index) }.sorted()
        return NodeStatus(
            chainID: genesis.chainID, nodeID: driver.replicaID, height: head?.height ?? .zero,
            latestBlockHash: head?.hash ?? .zero, view: snap.view, primary: snap.primary, isCatchingUp: snap.isCatchingUp,
            peers: peers, isChangingView: snap.isChangingView, mempoolSize: snap.mempool)
    }

    func submitTransaction(_ encoded: [UInt8]) async throws(RPCError) -> Digest {
        let tx: Transaction
        do { tx = try Transaction.decode(encoded) } catch {
            throw .transactionRejected(MempoolRejection.malformed("\(error)").description)
        }
        guard tx.chainID == genesis.chainID else {
            throw .transactionRejected(MempoolRejection.wrongChain(expected: genesis.chainID, found: tx.chainID).description)
        }
        if !verifiedTransactions.contains(tx.hash) {
            guard tx.hasValidSignature else { throw .transactionRejected(MempoolRejection.badSignature.description) }
        }
        do {
            try await driver.submit(tx, fromClient: true)
        } catch {
            if error == .shuttingDown { throw .shuttingDown }
            throw .transactionRejected(error.description)
        }
        return tx.hash
    }

    func account(_ address: Address) async throws(RPCError) -> Account {
        do {
            return try store.loadAccount(address.publicKey) ?? Account(publicKey: address.publicKey, balance: 0, nonce: 0)
        } catch {
            throw .internalError("\(error)")
        }
    }

    func block(at height: Height?) async throws(RPCError) -> Block? {
        do {
            let h = try height ?? store.head().height
            return try store.block(at: h)
        } catch {
            throw .internalError("\(error)")
        }
    }
}
