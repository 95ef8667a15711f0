/// Who may open an inbound connection, decided before any handshake work (no key generation,
/// no key exchange, no signature) is spent on it. Pure: the caller passes the time.
///
/// - Authenticated validators never compete with strangers: a connection leaves this table the
///   moment its handshake proves a genesis validator, and each validator holds at most one
///   inbound connection (a newer one replaces it), so validator slots are reserved by design.
/// - Connections still in the handshake are *unauthenticated*. At most `maxUnauthenticated` are
///   open at once; when full, the oldest is evicted for the newcomer (a slow or idle stranger
///   cannot hold a slot a reconnecting validator needs; each is also cut at the handshake timeout).
/// - Per source address: at most `perAddress` unauthenticated connections, and handshake starts
///   limited by a token bucket (`ratePerSecond`, bursts of `burst`). The address table is bounded
///   (`maxTrackedAddresses`); when full, the entry idle longest is forgotten.
public struct InboundAdmission: Sendable {
    /// An accepted connection's handle in this table.
    public typealias ConnectionID = UInt64

    /// The outcome of `admit`.
    public enum Decision: Sendable, Equatable {
        /// Go ahead; `evict` (if any) is the oldest unauthenticated connection to close first.
        case admit(ConnectionID, evict: ConnectionID?)
        /// Close the connection at once.
        case refuse(Refusal)
    }

    /// Why a connection was refused.
    public enum Refusal: String, Sendable, Equatable {
        /// The source address already holds `perAddress` unauthenticated connections.
        case tooManyFromAddress = "too_many_from_address"
        /// The source address opened handshakes faster than its rate.
        case rateLimited = "rate_limited"
    }

    private struct Pending: Sendable {
        let address: String
        let admittedAtMs: UInt64
    }

    private struct Bucket: Sendable {
        var tokens: Double
        var updatedAtMs: UInt64
    }

    /// Most unauthenticated connections open at once.
    public private(set) var maxUnauthenticated: Int
    /// Most unauthenticated connections from one source address.
    public private(set) var perAddress: Int
    /// Handshake starts per second allowed per source address (long-run).
    public private(set) var ratePerSecond: Double
    /// Handshake starts one address may make in a burst.
    public private(set) var burst: Int
    /// Most source addresses remembered for rate limiting.
    public private(set) var maxTrackedAddresses: Int

    private var pending: [ConnectionID: Pending] = [:]
    private var order: [ConnectionID] = []  // admission order of `pending`, oldest first (may hold stale ids)
    private var pendingByAddress: [String: Int] = [:]
    private var buckets: [String: Bucket] = [:]
    private var nextID: ConnectionID = 1

    /// The admission rules for `limits` in a network of `validatorCount` validators: validators
    /// behind one address (one host, one NAT) may all handshake with us at once, so the
    /// per-address bounds are never below `validatorCount - 1`.
    public init(limits: P2PLimits, validatorCount: Int) {
        let peers = max(0, validatorCount - 1)
        maxUnauthenticated = max(limits.maxUnauthenticatedInbound, peers)
        perAddress = max(limits.maxUnauthenticatedPerAddress, peers)
        burst = max(limits.handshakeBurstPerAddress, 2 * peers)
        ratePerSecond = limits.handshakesPerSecondPerAddress
        maxTrackedAddresses = limits.maxTrackedAddresses
    }

    /// Re-derives the bounds for a validator set of `validatorCount` (after a validator-set change), keeping the
    /// connections and rate buckets it tracks.
    public mutating func resize(limits: P2PLimits, validatorCount: Int) {
        let resized = InboundAdmission(limits: limits, validatorCount: validatorCount)
        maxUnauthenticated = resized.maxUnauthenticated
        perAddress = resized.perAddress
        burst = resized.burst
    }

    /// Unauthenticated connections open now.
    public var unauthenticatedCount: Int { pending.count }

    /// A connection from `address` was accepted at `nowMs`: admit it (possibly evicting the
    /// oldest unauthenticated one) or refuse it.
    public mutating func admit(address: String, nowMs: UInt64) -> Decision {
        guard pendingByAddress[address, default: 0] < perAddress else { return .refuse(.tooManyFromAddress) }
        guard takeToken(address, nowMs: nowMs) else { return .refuse(.rateLimited) }
        var evicted: ConnectionID?
        if pending.count >= maxUnauthenticated, let oldest = oldestPending() {
            release(oldest)
            evicted = oldest
        }
        let id = nextID
        nextID &+= 1
        pending[id] = Pending(address: address, admittedAtMs: nowMs)
        order.append(id)
        pendingByAddress[address, default: 0] += 1
        return .admit(id, evict: evicted)
    }

    /// The connection proved a validator (or closed): it no longer holds an unauthenticated slot.
    /// Unknown or already released ids are ignored.
    public mutating func release(_ id: ConnectionID) {
        guard let p = pending.removeValue(forKey: id) else { return }
        let left = pendingByAddress[p.address, default: 1] - 1
        pendingByAddress[p.address] = left > 0 ? left : nil
        // `order` is compacted lazily; keep it from growing without bound under churn.
        if order.count > 2 * maxUnauthenticated + 16 { order.removeAll { pending[$0] == nil } }
    }

    private mutating func oldestPending() -> ConnectionID? {
        while let first = order.first {
            if pending[first] != nil { return first }
            order.removeFirst()
        }
        return nil
    }

    private mutating func takeToken(_ address: String, nowMs: UInt64) -> Bool {
        var bucket = buckets[address] ?? Bucket(tokens: Double(burst), updatedAtMs: nowMs)
        let elapsedMs = nowMs >= bucket.updatedAtMs ? nowMs - bucket.updatedAtMs : 0
        bucket.tokens = min(Double(burst), bucket.tokens + Double(elapsedMs) * ratePerSecond / 1_000)
        bucket.updatedAtMs = max(bucket.updatedAtMs, nowMs)
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        if buckets[address] == nil && buckets.count >= maxTrackedAddresses { forgetIdlestAddress() }
        buckets[address] = bucket
        return allowed
    }

    /// Forgets the address whose bucket was touched longest ago (it has refilled the most, so
    /// forgetting it grants the least). Linear in the table size, and only runs when the table
    /// is full and a new address arrives.
    private mutating func forgetIdlestAddress() {
        guard let idlest = buckets.min(by: { $0.value.updatedAtMs < $1.value.updatedAtMs })?.key else { return }
        buckets[idlest] = nil
    }
}
