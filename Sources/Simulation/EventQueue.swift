/// A discrete-event queue: a binary min-heap ordered by (time, insertion order).
///
/// Ties at the same virtual time pop in the order they were scheduled, so the order of
/// events depends only on the seed, never on hashing or memory layout. The heap holds small
/// keys; payloads (which can be large messages) sit in a slab and are moved exactly once.
public struct EventQueue<Payload> {
    private struct Key {
        var time: UInt64
        var order: UInt64
        var slot: Int32

        @inline(__always)
        func precedes(_ other: Key) -> Bool {
            time != other.time ? time < other.time : order < other.order
        }
    }

    private var heap: [Key] = []
    private var slab: [Payload?] = []
    private var freeSlots: [Int32] = []
    private var nextOrder: UInt64 = 0

    /// An empty queue.
    public init() {}

    /// Number of pending events.
    public var count: Int { heap.count }

    /// `true` when no event is pending.
    public var isEmpty: Bool { heap.isEmpty }

    /// The time of the earliest pending event.
    public var nextTime: VirtualTime? { heap.first.map { VirtualTime(milliseconds: $0.time) } }

    /// Schedules `payload` at `time`.
    public mutating func schedule(_ payload: Payload, at time: VirtualTime) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            slab[Int(free)] = payload
        } else {
            slot = Int32(slab.count)
            slab.append(payload)
        }
        heap.append(Key(time: time.milliseconds, order: nextOrder, slot: slot))
        nextOrder &+= 1
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest event (earliest scheduled among equal times).
    public mutating func pop() -> (time: VirtualTime, payload: Payload)? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        let index = Int(top.slot)
        let payload = slab[index].take()!
        freeSlots.append(top.slot)
        return (VirtualTime(milliseconds: top.time), payload)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        let item = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard item.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = item
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        let item = heap[parent]
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var best = left
            let right = left + 1
            if right < count && heap[right].precedes(heap[left]) { best = right }
            guard heap[best].precedes(item) else { break }
            heap[parent] = heap[best]
            parent = best
        }
        heap[parent] = item
    }
}
