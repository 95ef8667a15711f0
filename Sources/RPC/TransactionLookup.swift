import LedgerCore
import LedgerCrypto

/// The `tx` result: where a transaction stands.
public struct TransactionLookup: Sendable {
    /// The lifecycle state.
    public enum Status: String, Sendable {
        /// Waiting in this node's mempool.
        case pending
        /// In a block with a success receipt.
        case committed
        /// In a block with a failed receipt (the reason is in the receipt).
        case failed
        /// Neither committed nor waiting here.
        case unknown
    }

    /// Where a committed transaction sits.
    public struct Inclusion: Sendable {
        /// The block that holds it.
        public var header: BlockHeader
        /// That block's hash.
        public var blockHash: Digest
        /// Its position in the block.
        public var index: Int
        /// Its receipt.
        public var receipt: Receipt
        /// Number of transactions (Merkle leaves) in the block.
        public var leafCount: Int
        /// `Merkle.proof(txHashes, index:)` to `header.txRoot`.
        public var proof: [Merkle.ProofStep]

        /// An inclusion from its fields.
        public init(header: BlockHeader, blockHash: Digest, index: Int, receipt: Receipt, leafCount: Int,
                    proof: [Merkle.ProofStep]) {
            self.header = header; self.blockHash = blockHash; self.index = index; self.receipt = receipt
            self.leafCount = leafCount; self.proof = proof
        }

        /// The inclusion of `block.transactions[index]` with its Merkle proof.
        public init?(block: Block, index: Int) {
            let hashes = block.transactions.map(\.hash)
            guard index >= 0, index < hashes.count, index < block.receipts.count,
                  let proof = Merkle.proof(hashes, index: index) else { return nil }
            self.init(header: block.header, blockHash: block.hash, index: index, receipt: block.receipts[index],
                      leafCount: hashes.count, proof: proof)
        }
    }

    /// The hash asked about.
    public var hash: Digest
    /// Its state.
    public var status: Status
    /// The transaction itself (when pending or committed).
    public var transaction: Transaction?
    /// The inclusion (when committed or failed).
    public var inclusion: Inclusion?

    /// A lookup result from its fields.
    public init(hash: Digest, status: Status, transaction: Transaction? = nil, inclusion: Inclusion? = nil) {
        self.hash = hash; self.status = status; self.transaction = transaction; self.inclusion = inclusion
    }

    /// The committed/failed result for `block.transactions[index]`.
    public static func included(in block: Block, at index: Int) -> TransactionLookup? {
        guard let inclusion = Inclusion(block: block, index: index) else { return nil }
        let tx = block.transactions[index]
        let status: Status = if case .success = inclusion.receipt.status { .committed } else { .failed }
        return TransactionLookup(hash: tx.hash, status: status, transaction: tx, inclusion: inclusion)
    }
}
