import LedgerCore
import LedgerCrypto

/// The cheap checks a driver runs on a decoded, not yet verified message that carries a batch
/// (a transaction signature each) before it spends signature checks on it: a snapshot of the replica's watermarks, commit point and wanted
/// batches, taken after each `handle` call. It refuses only what the replica would drop on
/// arrival anyway and can never want later (the low watermark and the commit point only grow),
/// so filtering changes what is verified, never what the replica decides. A FETCHED-BATCH nobody
/// asked for, or a COMMITTED-BATCH already committed, is thousands of transaction signatures
/// that would be checked for nothing.
public struct IntakeFilter<B: ConsensusBatch>: Sendable {
    /// The replica's low watermark.
    public var lowWatermark: SequenceNumber
    /// The replica's last committed sequence number.
    public var lastCommitted: SequenceNumber
    /// Digests of batches the replica is fetching.
    public var wantedBatches: Set<Digest>
    /// The highest committed batch worth verifying (a full node holds at most a window ahead), or `nil` for no bound.
    public var highestWanted: SequenceNumber?

    /// A filter that refuses nothing (before the replica started).
    public static var open: IntakeFilter {
        IntakeFilter(lowWatermark: .zero, lastCommitted: .zero, wantedBatches: [], acceptsAnyFetchedBatch: true)
    }

    private var acceptsAnyFetchedBatch = false

    init(lowWatermark: SequenceNumber, lastCommitted: SequenceNumber, wantedBatches: Set<Digest>, acceptsAnyFetchedBatch: Bool = false,
         highestWanted: SequenceNumber? = nil) {
        self.lowWatermark = lowWatermark
        self.lastCommitted = lastCommitted
        self.wantedBatches = wantedBatches
        self.highestWanted = highestWanted
        self.acceptsAnyFetchedBatch = acceptsAnyFetchedBatch
    }

    /// Why `message` is not worth verifying (a short reason for counters and logs), or `nil`.
    public func refusal(_ message: Message<B>) -> String? {
        switch message {
        case let .prePrepare(m, _):
            m.body.sequence <= lowWatermark ? "below the low watermark" : nil
        case let .committedBatch(cert, _):
            cert.sequence <= lastCommitted ? "already committed"
                : highestWanted.map { cert.sequence > $0 } == true ? "beyond the window" : nil
        case let .fetchedBatch(batch):
            acceptsAnyFetchedBatch || wantedBatches.contains(batch.digest) ? nil : "a batch nobody asked for"
        case .prepare, .commit, .checkpoint, .viewChange, .newView, .status, .batchFetch:
            nil  // one signature or a few: not worth a rule of their own
        }
    }
}

extension Replica {
    /// The current intake filter (see `IntakeFilter`).
    public var intakeFilter: IntakeFilter<B> {
        IntakeFilter(lowWatermark: state.lowWatermark, lastCommitted: state.lastCommitted,
                     wantedBatches: Set(state.fetch.wanted.keys))
    }
}
