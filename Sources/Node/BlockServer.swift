import LedgerCore
import LedgerCrypto
import LedgerStore
import PBFT

/// The serving half of state transfer: answers a peer's block request from the store.
public enum BlockServer {
    /// The blocks a peer asked for, read from `store` as raw bytes (runs off the actor; no
    /// transaction is decoded or re-encoded), with the stored stable-checkpoint proof for the
    /// highest checkpoint among them, if there is one and it names the served block's hash.
    public static func serve(_ request: BlockRequest, store: LedgerStore) -> BlockResponse {
        let count = min(Int(request.count), NodeLimits.stateTransferBlocksPerRequest)
        let raw = (try? store.rawBlocks(from: request.from, count: count, maxBytes: NodeLimits.stateTransferResponseMaxBytes)) ?? []
        var proof: [UInt8]?
        if let top = raw.last?.header.height,
           let checkpoint = try? store.latestCheckpoint(from: request.from, through: top) {
            let index = Int(checkpoint.sequenceNumber.rawValue - request.from.rawValue)
            if raw.indices.contains(index), raw[index].header.hash == checkpoint.blockHash { proof = checkpoint.proof }
        }
        return BlockResponse(requestID: request.requestID, from: request.from,
                             blocks: raw.map { ($0.batch, $0.certificate) }, checkpoint: proof)
    }
}
