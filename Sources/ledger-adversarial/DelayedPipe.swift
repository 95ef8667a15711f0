import Adversary
import NIOCore

/// One direction of a relayed connection: each chunk read from `source` waits for its release time,
/// then is written to the sink.
///
/// Release time = arrival + delay + a uniform draw in 0…jitter, and never earlier than the chunk
/// before it: jitter spreads the delay but never reorders bytes (a sealed stream cannot survive
/// reordering). Memory is bounded: past `LinkProxy.maxQueuedBytes` queued in this direction the pipe
/// stops reading `source` (TCP flow control then slows the sender) until the queue drains below
/// half; chunks leave only while the sink is writable, so the sink's own buffer stays at NIO's
/// write watermark. Timers are event-loop scheduled tasks, never sleeps.
// @unchecked: every field is only touched on `loop`.
final class DelayedPipe: @unchecked Sendable {
    private let loop: EventLoop
    private let source: Channel
    private var sink: Channel?
    private var queue: [(releaseAt: NIODeadline, bytes: ByteBuffer)] = []
    private var head = 0
    private var lastRelease = NIODeadline.uptimeNanoseconds(0)
    private var pumpScheduled = false
    private var readingPaused = false
    private var random: AdversaryRandom
    private let onForwarded: (Int) -> Void
    /// Bytes waiting in this direction.
    private(set) var queuedBytes = 0

    /// A pipe reading `source`; `onForwarded` counts the bytes written to the sink.
    init(loop: EventLoop, source: Channel, seed: UInt64, onForwarded: @escaping (Int) -> Void) {
        self.loop = loop
        self.source = source
        self.random = AdversaryRandom(seed: seed)
        self.onForwarded = onForwarded
    }

    /// The channel the chunks go to (the upstream connection once it is up); starts the pump.
    func attach(sink: Channel) {
        self.sink = sink
        pump()
    }

    /// Queues `bytes` for release after `delayMs` plus a draw in 0…`jitterMs` (each at most `LinkProxy.maxDelayMs`).
    func enqueue(_ bytes: ByteBuffer, delayMs: Int64, jitterMs: Int64) {
        var wait = delayMs * 1_000_000
        if jitterMs > 0 { wait += Int64(random.next() % UInt64(jitterMs * 1_000_000 + 1)) }
        let release = max(NIODeadline.now() + .nanoseconds(wait), lastRelease)
        lastRelease = release
        queue.append((release, bytes))
        queuedBytes += bytes.readableBytes
        if queuedBytes > LinkProxy.maxQueuedBytes, !readingPaused {
            readingPaused = true
            source.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        pump()
    }

    /// The sink became writable again (or not): write what is due.
    func sinkWritabilityChanged() { pump() }

    /// Drops everything queued (blackhole, close).
    func clear() {
        queue.removeAll()
        head = 0
        queuedBytes = 0
        resumeReadingIfDrained()
    }

    /// Writes every due chunk, in order, while the sink is writable; schedules itself for the rest.
    private func pump() {
        guard let sink else { return }
        let now = NIODeadline.now()
        var wrote = false
        // One chunk at a time, re-checking the queue after each write: a write can close the
        // connection re-entrantly, which clears the queue.
        while self.sink != nil, sink.isWritable, head < queue.count, queue[head].releaseAt <= now {
            let chunk = queue[head].bytes
            queuedBytes -= chunk.readableBytes
            head += 1
            onForwarded(chunk.readableBytes)
            sink.write(chunk, promise: nil)
            wrote = true
        }
        if wrote { sink.flush() }
        if head >= queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1_024 {
            queue.removeFirst(head)
            head = 0
        }
        resumeReadingIfDrained()
        guard self.sink != nil, head < queue.count, !pumpScheduled else { return }
        let next = queue[head].releaseAt
        // Due but held back by the sink's writability: the writability event pumps again.
        if next <= NIODeadline.now(), !sink.isWritable { return }
        pumpScheduled = true
        loop.scheduleTask(deadline: next) {
            self.pumpScheduled = false
            self.pump()
        }
    }

    /// When the last queued chunk is due (now when the queue is empty).
    var lastReleaseTime: NIODeadline { head < queue.count ? lastRelease : NIODeadline.now() }

    /// Writes everything still queued, due or not, whatever the sink's writability (the connection is
    /// closing: at most `LinkProxy.maxQueuedBytes` plus one read burst).
    func flushAll() {
        guard let sink else { return }
        while self.sink != nil, head < queue.count {
            let chunk = queue[head].bytes
            queuedBytes -= chunk.readableBytes
            head += 1
            onForwarded(chunk.readableBytes)
            sink.write(chunk, promise: nil)
        }
        sink.flush()
        clear()
    }

    /// Forgets the sink and the queue (the connection closed).
    func detach() {
        sink = nil
        clear()
    }

    private func resumeReadingIfDrained() {
        guard readingPaused, queuedBytes <= LinkProxy.maxQueuedBytes / 2 else { return }
        readingPaused = false
        source.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
    }
}
