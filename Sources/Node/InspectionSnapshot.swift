import Synchronization

/// The driver's last `inspect()` answer (view, primary, mempool size, open sequences), kept fresh by a background
/// task so that RPC reads (`status`, `num_unconfirmed_txs`, `/metrics`) never wait on the driver actor.
///
/// Under load the driver is busy with consensus, and a read that hopped into it queued behind that work: a
/// monitoring probe then took as long as the driver's backlog. Now only the refresher waits; a read returns the
/// last snapshot, which is at most `NodeLimits.inspectionRefreshMs` old while the driver keeps up and older (never
/// blocked) while it does not. Height and hashes are read from the store by the reader, so they are always fresh.
final class InspectionSnapshot: Sendable {
    private let latest: Mutex<ConsensusDriver.Inspection>

    /// A snapshot starting at `first`.
    init(_ first: ConsensusDriver.Inspection) { latest = Mutex(first) }

    /// The last inspection.
    var current: ConsensusDriver.Inspection { latest.withLock { $0 } }

    /// Replaces the inspection.
    func update(_ inspection: ConsensusDriver.Inspection) { latest.withLock { $0 = inspection } }

    /// Asks `driver` again every `NodeLimits.inspectionRefreshMs` until the calling task is cancelled.
    func keepFresh(from driver: ConsensusDriver) async {
        while !Task.isCancelled {
            update(await driver.inspect())
            try? await Task.sleep(for: .milliseconds(NodeLimits.inspectionRefreshMs))
        }
    }
}
