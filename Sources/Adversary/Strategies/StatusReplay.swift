import LedgerCore
import LedgerCrypto
import PBFT

/// `status-replay`: tries to make honest replicas send each other (and itself) large answers.
/// It keeps the latest STATUS, VIEW-CHANGE and BATCH-FETCH each other validator sent it, and
/// with every message it sends replays some of them to the other honest replicas, so that an
/// answer would go from one honest replica to another. Its own STATUS claims it has executed
/// nothing and is changing view (the largest answer: checkpoint proof, catch-up batches,
/// NEW-VIEW) and goes out several times. Receivers must accept those kinds only from their
/// signer's link and answer each peer at most a few times per retransmission interval
/// (`Replica+Replies.swift`).
public struct StatusReplay: ByzantineBehaviour {
    public var strategy: ByzantineStrategy { .statusReplay }
    /// The latest reply-triggering message of each kind from each validator, by (kind, signer).
    private var captured: [CaptureKey: LedgerMessage] = [:]
    /// Round-robin position over `captured` (in key order).
    private var cursor = 0
    /// Stored messages replayed with each message the replica sends.
    public static let replaysPerSend = 4
    /// Copies of its own inflated STATUS sent to each recipient.
    public static let statusCopies = 4

    /// A replayer.
    public init() {}

    private struct CaptureKey: Hashable, Comparable {
        var kind: UInt8
        var signer: ReplicaID
        static func < (a: CaptureKey, b: CaptureKey) -> Bool { (a.kind, a.signer) < (b.kind, b.signer) }
    }

    public mutating func observe(incoming message: LedgerMessage) {
        guard let signer = message.signer else { return }
        switch message {
        case .status: captured[CaptureKey(kind: 0, signer: signer)] = message
        case .viewChange: captured[CaptureKey(kind: 1, signer: signer)] = message
        case .batchFetch: captured[CaptureKey(kind: 2, signer: signer)] = message
        default: break
        }
    }

    public mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], context: AdversaryContext) -> [Emission] {
        var out: [Emission] = []
        if case let .status(own) = message, own.signer == context.replica {
            let claim = Status(view: own.body.view, isChangingView: true, lastExecuted: .zero, stableCheckpoint: .zero)
            let inflated = LedgerMessage.status(context.sign(claim))
            for _ in 0..<Self.statusCopies { out.append(Emission(inflated, to: recipients)) }
        } else {
            out.append(Emission(message, to: recipients))
        }
        let keys = captured.keys.filter { $0.signer != context.replica }.sorted()
        guard !keys.isEmpty else { return out }
        for _ in 0..<min(Self.replaysPerSend, keys.count) {
            let key = keys[cursor % keys.count]
            cursor &+= 1
            guard let old = captured[key] else { continue }
            let targets = context.others.filter { $0 != key.signer }
            if !targets.isEmpty { out.append(Emission(old, to: targets)) }
        }
        return out
    }
}
