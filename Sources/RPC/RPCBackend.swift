import LedgerCore
import LedgerCrypto

/// What the RPC server needs from the node. The node implements it; tests fake it.
/// Every method is safe to call concurrently; none blocks on a slow client.
public protocol RPCBackend: Sendable {
    /// The node's current status.
    func status() async -> NodeStatus
    /// The P2P view: listen address and every other validator's connection state.
    func netInfo() async -> NetInfo
    /// The network's genesis.
    var genesis: Genesis { get }
    /// Admits a signed transaction (its canonical encoding) to the mempool and returns its hash. Idempotent: a
    /// transaction already pending or already committed returns its hash without error.
    func submitTransaction(_ encoded: [UInt8]) async throws(RPCError) -> Digest
    /// Decodes and admits several signed transactions together, in order (a JSON-RPC batch of
    /// `broadcast_tx_sync` calls); one result per input, as `submitTransaction` would answer it.
    func submitTransactions(_ encoded: [[UInt8]]) async -> [Result<Digest, RPCError>]
    /// Decodes `encoded` (errors if it is not one signed transaction) and admits it in the background.
    func submitTransactionAsync(_ encoded: [UInt8]) async throws(RPCError) -> Digest
    /// The validator set that ordered the block at `height` and its epoch (the head's set, with
    /// any pending change, when `nil`); an error for a height above the head.
    func validatorSet(at height: Height?) async throws(RPCError) -> ValidatorSetInfo
    /// Admits a validator-set change (its canonical encoding) and returns its hash; a change already held returns
    /// its hash without error. Refused with the chain's reason (`changeRejected`).
    func submitChange(_ encoded: [UInt8]) async throws(RPCError) -> Digest
    /// The committed account for `address` (a never-seen address has balance 0 and nonce 0).
    func account(_ address: Address) async throws(RPCError) -> Account
    /// The block at `height`, or the latest when `nil`; `nil` if there is none.
    func block(at height: Height?) async throws(RPCError) -> Block?
    /// The block with `hash`, or `nil`.
    func block(hash: Digest) async throws(RPCError) -> Block?
    /// The latest stored height.
    func latestHeight() async throws(RPCError) -> Height
    /// Up to `count` consecutive headers from `start` (ascending).
    func headers(from start: Height, count: Int) async throws(RPCError) -> [BlockHeader]
    /// The block header and commit certificate at `height` (latest when `nil`), or `nil`.
    func commit(at height: Height?) async throws(RPCError) -> CommitInfo?
    /// Where a transaction stands (pending, committed, failed, unknown), with its inclusion proof when committed.
    func transaction(hash: Digest) async throws(RPCError) -> TransactionLookup
    /// The oldest `limit` waiting transactions and the total waiting.
    func unconfirmedTransactions(limit: Int) async -> (total: Int, transactions: [Transaction])
    /// Equivocation evidence seen so far (oldest first).
    func evidence() async -> [EvidenceInfo]
    /// A live feed of blocks as they are applied (by consensus or state transfer), at most `buffer` undelivered
    /// (oldest dropped beyond; consumers detect the gap by height and read the store).
    func subscribeBlocks(buffer: Int) -> BlockFeed
    /// Brings scraped gauges (height, mempool, peers) up to date just before `/metrics` is rendered.
    func refreshMetrics() async
}

extension RPCBackend {
    /// Default: nothing to refresh.
    public func refreshMetrics() async {}

    /// Default: one `submitTransaction` after the other.
    public func submitTransactions(_ encoded: [[UInt8]]) async -> [Result<Digest, RPCError>] {
        var results: [Result<Digest, RPCError>] = []
        for bytes in encoded {
            do throws(RPCError) { results.append(.success(try await submitTransaction(bytes))) } catch { results.append(.failure(error)) }
        }
        return results
    }
}

/// A live stream of committed blocks; call `cancel()` when done (also ends the stream).
public struct BlockFeed: Sendable {
    /// Blocks in the order they were applied.
    public let blocks: AsyncStream<Block>
    /// Ends the subscription.
    public let cancel: @Sendable () -> Void

    /// A feed over `blocks`, ended by `cancel`.
    public init(blocks: AsyncStream<Block>, cancel: @escaping @Sendable () -> Void) {
        self.blocks = blocks
        self.cancel = cancel
    }
}
