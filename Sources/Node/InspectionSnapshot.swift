import Foundation
import RPC
import Synchronization

/// The last `status` answer, reused for `NodeLimits.statusCacheMs`.
///
/// Building a status takes a hop into the driver actor (which is busy with consensus under load)
/// and a store read; monitoring tools and load balancers poll it much more often than it changes
/// meaningfully. A status is therefore a snapshot at most that many milliseconds old, which the
/// API documents.
final class StatusCache: Sendable {
    private let last = Mutex<(atNs: UInt64, status: NodeStatus)?>(nil)

    /// An empty cache.
    init() {}

    /// The cached status if it is fresh, else `make()`'s (which then becomes the cached one).
    func status(_ make: () async -> NodeStatus) async -> NodeStatus {
        let now = DispatchTime.now().uptimeNanoseconds
        let maxAgeNs = NodeLimits.statusCacheMs * 1_000_000
        if let hit = last.withLock({ c in c.flatMap { now &- $0.atNs < maxAgeNs ? $0.status : nil } }) { return hit }
        let fresh = await make()
        last.withLock { $0 = (DispatchTime.now().uptimeNanoseconds, fresh) }
        return fresh
    }
}
