import Synchronization

/// The bounded queue of text messages waiting to be written to one WebSocket client.
///
/// Producers never wait: `offer` refuses a message when `capacity` are already queued (the client is too slow and
/// gets dropped). Only the subscription replay waits for room (`waitForRoom`), since it reads the store at its own pace.
final class WebSocketOutbox: Sendable {
    private struct State {
        var queue: [String] = []
        var head = 0
        var waiter: CheckedContinuation<String?, Never>?
        var isFinished = false
        var isClosedToProducers = false
        var queuedBytes = 0
        var queued: Int { queue.count - head }
    }

    private let state = Mutex(State())
    /// Most messages queued.
    let capacity: Int
    /// Most bytes queued.
    let byteCapacity: Int

    init(capacity: Int, byteCapacity: Int = RPCLimits.webSocketSendQueueBytes) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Queues `message`; `false` when the queue is full or closed (nothing queued).
    func offer(_ message: String) -> Bool {
        let outcome = state.withLock { s -> (Bool, CheckedContinuation<String?, Never>?) in
            guard !s.isClosedToProducers, !s.isFinished else { return (false, nil) }
            if let w = s.waiter {
                s.waiter = nil
                return (true, w)
            }
            guard s.queued < capacity, s.queuedBytes + message.utf8.count <= byteCapacity else { return (false, nil) }
            s.queue.append(message)
            s.queuedBytes += message.utf8.count
            return (true, nil)
        }
        outcome.1?.resume(returning: message)
        return outcome.0
    }

    /// Queues a last `message` past the capacity, then accepts nothing more; the writer ends after sending it.
    func closeWith(_ message: String) {
        let waiter = state.withLock { s -> CheckedContinuation<String?, Never>? in
            guard !s.isFinished, !s.isClosedToProducers else { return nil }
            s.isClosedToProducers = true
            if let w = s.waiter {
                s.waiter = nil
                s.isFinished = true
                return w
            }
            s.queue.append(message)
            return nil
        }
        waiter?.resume(returning: message)
    }

    /// Whether the queue has room for another message (false once closed).
    var hasRoom: Bool {
        state.withLock { !$0.isClosedToProducers && !$0.isFinished && $0.queued < capacity && $0.queuedBytes < byteCapacity / 2 }
    }

    /// Whether producers should stop.
    var isClosed: Bool { state.withLock { $0.isClosedToProducers || $0.isFinished } }

    /// Waits (polling, the replay path only) until there is room; `false` if the outbox closed meanwhile.
    func waitForRoom() async -> Bool {
        while true {
            let (room, closed) = state.withLock { s in
                (s.queued < capacity && s.queuedBytes < byteCapacity / 2, s.isClosedToProducers || s.isFinished)
            }
            if closed || Task.isCancelled { return false }
            if room { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The next message to write, or `nil` once finished and drained.
    func next() async -> String? {
        await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
            let ready = state.withLock { s -> String?? in
                if s.head < s.queue.count {
                    let m = s.queue[s.head]
                    s.head += 1
                    s.queuedBytes -= m.utf8.count
                    if s.head >= 64, s.head * 2 >= s.queue.count {
                        s.queue.removeFirst(s.head)
                        s.head = 0
                    }
                    if s.isClosedToProducers, s.head == s.queue.count { s.isFinished = true }
                    return .some(m)
                }
                if s.isFinished || s.isClosedToProducers {
                    s.isFinished = true
                    return .some(nil)
                }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Ends the outbox now (queued messages are discarded); a waiting writer gets `nil`.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<String?, Never>? in
            s.isFinished = true
            s.isClosedToProducers = true
            s.queue.removeAll()
            s.head = 0
            s.queuedBytes = 0
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume(returning: nil)
    }
}
