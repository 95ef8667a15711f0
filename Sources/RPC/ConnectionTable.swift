/// The RPC server's open HTTP connections as its caps see them: at most `maxConnections` in all and
/// `maxPerAddress` from one source address. Pure: the caller passes the time (monotonic ns) and keeps it under a lock.
///
/// A connection at the full cap does not simply bounce: the table evicts one *waiting on its client* — silent or
/// still sending its request head or body, or idle between requests; never one whose request is being answered, nor
/// a WebSocket — to make room. It takes it from the address holding the most connections (the one that took the
/// biggest share of the cap), and of that address's the one waiting longest. Many addresses holding stalled
/// connections (a botnet, each address under its own cap) then cannot keep the node full for a whole deadline: every
/// newcomer displaces one of them, and a client that sends its requests promptly waits less than any of them.
struct ConnectionTable {
    /// A connection's handle in the table.
    typealias ID = UInt64

    /// The outcome of `admit`.
    enum Decision: Equatable {
        /// Go ahead; `evict` (if any) was released to make room and is to be closed.
        case admit(ID, evict: ID?)
        /// Refuse the connection.
        case refuse(Refusal)
    }

    /// Why a connection is refused (the `reason` of its error and metric).
    enum Refusal: String {
        /// Its address holds `maxPerAddress` connections already.
        case tooManyFromAddress = "too_many_from_address"
        /// All `maxConnections` are taken and none is waiting on its client.
        case tooManyConnections = "too_many_connections"
    }

    private struct Entry {
        let address: String
        /// Since when it has waited on its client; nil while it is being answered or once it is a WebSocket.
        var waitingSince: UInt64?
    }

    /// Most connections open at once.
    let maxConnections: Int
    /// Most connections open at once from one source address.
    let maxPerAddress: Int
    private var entries: [ID: Entry] = [:]
    private var perAddress: [String: Int] = [:]
    private var nextID: ID = 1

    init(maxConnections: Int, maxPerAddress: Int) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
    }

    /// Connections open now.
    var count: Int { entries.count }

    /// Connections open now from `address`.
    func count(from address: String) -> Int { perAddress[address, default: 0] }

    /// A connection from `address` was accepted at `nowNs`; it waits for its first request head from now.
    mutating func admit(address: String, nowNs: UInt64) -> Decision {
        guard count(from: address) < maxPerAddress else { return .refuse(.tooManyFromAddress) }
        var evicted: ID?
        if entries.count >= maxConnections {
            guard let victim = evictionCandidate() else { return .refuse(.tooManyConnections) }
            release(victim)
            evicted = victim
        }
        let id = nextID
        nextID &+= 1
        entries[id] = Entry(address: address, waitingSince: nowNs)
        perAddress[address, default: 0] += 1
        return .admit(id, evict: evicted)
    }

    /// Since `nowNs` the connection waits on its client (`nil`: it is being answered, or became a WebSocket).
    /// Unknown (released) ids are ignored.
    mutating func setWaiting(_ id: ID, since nowNs: UInt64?) {
        entries[id]?.waitingSince = nowNs
    }

    /// The connection closed (or was evicted): its slots are free. Unknown or already released ids are ignored.
    mutating func release(_ id: ID) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        let left = perAddress[entry.address, default: 1] - 1
        perAddress[entry.address] = left > 0 ? left : nil
    }

    /// The connection to evict for a newcomer: among addresses with a connection waiting on its client, the one
    /// holding the most connections (ties: the one whose waiting connection is oldest); its longest-waiting one.
    /// `nil` when every connection is being answered or is a WebSocket. Linear in the connections open; runs only
    /// when the cap is full.
    func evictionCandidate() -> ID? {
        var longestWaiting: [String: (id: ID, since: UInt64)] = [:]
        for (id, entry) in entries {
            guard let since = entry.waitingSince else { continue }
            if let known = longestWaiting[entry.address], known.since < since || (known.since == since && known.id < id) { continue }
            longestWaiting[entry.address] = (id, since)
        }
        let chosen = longestWaiting.max { a, b in
            let (ca, cb) = (count(from: a.key), count(from: b.key))
            if ca != cb { return ca < cb }
            return (a.value.since, a.value.id) > (b.value.since, b.value.id)
        }
        return chosen?.value.id
    }
}
