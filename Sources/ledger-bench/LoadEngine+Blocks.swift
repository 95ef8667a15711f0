import BenchSupport
import Foundation
import NIOCore

/// Block notifications: commit instants per transfer (on the node it was sent to) and the reference chain's tally.
extension LoadEngine {
    /// One WebSocket message from node `node` (called on the subscriber's channel, which runs on `loop`).
    func blockMessage(node: Int, _ bytes: [UInt8], arrivedNs: UInt64) {
        loop.preconditionInEventLoop()
        guard let note = BlockNotification.parse(bytes) else {
            malformedNotifications += 1
            return
        }
        switch note {
        case .other:
            return
        case let .dropped(reason):
            subscriptionClosed(node: node, "the node dropped the block subscription (\(reason)): the bench read too slowly")
        case let .block(height, hashes, failed):
            if let last = lastHeight[node], height != last &+ 1 { heightGaps[node] += 1 }
            lastHeight[node] = height
            let isReference = node == reference
            var ours = 0
            for h in hashes {
                guard let index = transfers.indexByHash[TransferKey(h)] else {
                    if isReference { foreignTransactions += 1 }
                    continue
                }
                let k = Int(index)
                ours += 1
                if Int(sentTo[k]) == node && commitNs[k] == 0 {
                    commitNs[k] = arrivedNs
                    settled += 1
                }
                if isReference { tally.recordInclusion(of: k) }
            }
            if isReference {
                referenceBlocks.append((arrivedNs, hashes.count, ours, height))
                for f in failed {
                    failedReceiptReasons[Self.reasonClass(f.reason), default: 0] += 1
                    if transfers.indexByHash[TransferKey(f.transactionHash)] != nil { failedOurs += 1 }
                }
            }
        }
    }

    /// Node `node`'s block subscription ended.
    func subscriptionClosed(node: Int, _ reason: String) {
        loop.preconditionInEventLoop()
        guard subscriptionEnded[node] == nil else { return }
        subscriptionEnded[node] = reason
        if !killedNodes.contains(node) && !isShuttingDown {
            print("  ! block subscription of node\(nodes[node].id) ended: \(reason)")
        }
    }

    /// A failure reason without its numbers ("wrong nonce: expected 7, got 9" → "wrong nonce"), for counting.
    static func reasonClass(_ reason: String) -> String {
        String(reason.prefix { $0 != ":" && $0 != "(" }).trimmingCharacters(in: .whitespaces)
    }
}
