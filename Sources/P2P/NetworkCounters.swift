import Synchronization

/// The live counters behind `PeerNetwork.metrics`, shared by every connection.
final class NetworkCounters: Sendable {
    private let state = Mutex(PeerNetworkMetrics())

    init() {}

    /// Changes the counters under the lock.
    func update(_ body: (inout PeerNetworkMetrics) -> Void) {
        state.withLock { body(&$0) }
    }

    /// A consistent copy of every counter.
    var snapshot: PeerNetworkMetrics { state.withLock { $0 } }
}
