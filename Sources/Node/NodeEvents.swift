import LedgerCore
import LedgerCrypto
import PBFT
import Synchronization

/// Something the node did that RPC subscribers, `broadcast_tx_commit` and metrics care about.
public enum NodeEvent: Sendable {
    /// A block was applied to the store (by consensus or by state transfer).
    case blockCommitted(Block)
    /// The replica moved to `view` (whose primary is `primary`).
    case viewChanged(View, primary: ReplicaID)
    /// A validator was caught signing two conflicting statements.
    case evidence(EquivocationEvidence)
    /// State transfer progress: applied up to `height`, fetching towards `target`.
    case stateTransfer(height: Height, target: Height)
}

/// A fan-out of node events to any number of subscribers, plus the evidence seen so far.
///
/// Publishing never blocks: each subscriber has a bounded buffer and a subscriber that falls
/// behind loses its oldest events (the RPC layer detects the gap by height and drops it).
public final class NodeEvents: Sendable {
    /// A subscription handle; pass it to `unsubscribe`.
    public struct Subscription: Hashable, Sendable {
        let id: UInt64
    }

    private struct State {
        var nextID: UInt64 = 1
        var subscribers: [UInt64: AsyncStream<NodeEvent>.Continuation] = [:]
        var blockSubscribers: [UInt64: AsyncStream<Block>.Continuation] = [:]
        var evidence: [EquivocationEvidence] = []
    }

    private let state = Mutex(State())
    /// Evidence kept for the `evidence` RPC (oldest dropped beyond this).
    public static let evidenceLimit = 1_000

    /// An empty hub.
    public init() {}

    /// A new subscription whose stream holds at most `buffer` undelivered events.
    public func subscribe(buffer: Int) -> (Subscription, AsyncStream<NodeEvent>) {
        register(buffer: buffer, into: \.subscribers)
    }

    /// A new subscription to committed blocks only, at most `buffer` undelivered (oldest dropped beyond: a
    /// consumer sees the gap in heights and reads the missing blocks from the store).
    public func subscribeBlocks(buffer: Int) -> (Subscription, AsyncStream<Block>) {
        register(buffer: buffer, into: \.blockSubscribers)
    }

    /// Makes a stream with a bounded buffer, files its continuation under a fresh id in `list`
    /// and ends the subscription when the consumer stops listening.
    private func register<Element: Sendable>(
        buffer: Int, into list: WritableKeyPath<State, [UInt64: AsyncStream<Element>.Continuation]>
    ) -> (Subscription, AsyncStream<Element>) {
        let (stream, continuation) = AsyncStream<Element>.makeStream(bufferingPolicy: .bufferingNewest(max(1, buffer)))
        let id = state.withLock { s -> UInt64 in
            let id = s.nextID
            s.nextID &+= 1
            s[keyPath: list][id] = continuation
            return id
        }
        let sub = Subscription(id: id)
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(sub) }
        return (sub, stream)
    }

    /// Ends a subscription (its stream finishes).
    public func unsubscribe(_ subscription: Subscription) {
        let (c, b) = state.withLock {
            ($0.subscribers.removeValue(forKey: subscription.id), $0.blockSubscribers.removeValue(forKey: subscription.id))
        }
        c?.finish()
        b?.finish()
    }

    /// Number of live subscriptions.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count + $0.blockSubscribers.count } }

    /// Delivers `event` to every subscriber (never blocks).
    public func publish(_ event: NodeEvent) {
        if case let .evidence(e) = event {
            state.withLock { s in
                if s.evidence.contains(e) { return }
                s.evidence.append(e)
                if s.evidence.count > Self.evidenceLimit { s.evidence.removeFirst(s.evidence.count - Self.evidenceLimit) }
            }
        }
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for c in subscribers { c.yield(event) }
        if case let .blockCommitted(block) = event {
            let blockSubscribers = state.withLock { Array($0.blockSubscribers.values) }
            for c in blockSubscribers { c.yield(block) }
        }
    }

    /// The equivocation evidence seen so far (oldest first, at most `evidenceLimit`).
    public var evidence: [EquivocationEvidence] { state.withLock { $0.evidence } }

    /// Ends every subscription (at shutdown).
    public func finishAll() {
        let (all, blocks) = state.withLock { s in
            let all = Array(s.subscribers.values)
            let blocks = Array(s.blockSubscribers.values)
            s.subscribers.removeAll()
            s.blockSubscribers.removeAll()
            return (all, blocks)
        }
        for c in all { c.finish() }
        for c in blocks { c.finish() }
    }
}
