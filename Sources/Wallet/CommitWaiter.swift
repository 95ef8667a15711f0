import LedgerCore
import LedgerCrypto

/// Waits until a submitted transaction is in a block, by polling the node. It never re-sends the transaction.
///
/// Uses `tx` when the node has it; otherwise scans new blocks with `block` from `startHeight + 1`.
public struct CommitWaiter: Sendable {
    /// The node to poll.
    public var node: WalletNode
    /// Time between polls (ms).
    public var pollIntervalMs: Int64 = WalletLimits.commitPollIntervalMs

    /// A waiter polling `node`.
    public init(node: WalletNode) {
        self.node = node
    }

    /// Polls until `hash` is committed or failed, or `timeoutSeconds` pass (`.commitTimeout`, naming the hash).
    /// `progress` is called after every poll with the seconds waited and the last status seen.
    public func wait(
        for hash: String, startHeight: UInt64, timeoutSeconds: Double,
        progress: @Sendable (Double, String) -> Void = { _, _ in }
    ) async throws -> TransactionOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let limit = Duration.milliseconds(Int64(timeoutSeconds * 1000))
        var useTx = true
        var scanned = startHeight
        var lastStatus = "pending"
        while true {
            if useTx {
                if let outcome = try await node.transaction(hash) {
                    if outcome.isFinal { return outcome }
                    lastStatus = outcome.status
                } else {
                    useTx = false
                }
            }
            if !useTx {
                let height = try await node.status()["height"]?.uint64Value ?? scanned
                if height > scanned {
                    let upTo = min(height, scanned &+ WalletLimits.fallbackScanBlocksPerPoll)
                    if let outcome = try await node.findInBlocks(hash, from: scanned + 1, to: upTo) { return outcome }
                    scanned = upTo
                }
            }
            let elapsed = clock.now - start
            progress(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, lastStatus)
            if elapsed >= limit {
                throw WalletError.commitTimeout(hash: hash, seconds: timeoutSeconds, node: node.url)
            }
            do { try await Task.sleep(for: .milliseconds(pollIntervalMs)) } catch {
                throw WalletError.commitTimeout(hash: hash, seconds: timeoutSeconds, node: node.url)
            }
        }
    }
}
