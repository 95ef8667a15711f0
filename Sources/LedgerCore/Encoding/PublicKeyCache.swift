import LedgerCrypto

/// A bounded memo of public keys already validated, keyed by their raw 32 bytes.
///
/// `PublicKey(bytes:)` checks that the bytes are a canonical point of prime order, which
/// costs a scalar multiplication (tens of microseconds, far more than decoding the rest of a
/// transaction). Senders and recipients repeat a lot, so decoders can pass a cache and
/// validate each distinct key once. Invalid keys are never cached. When full, the cache is
/// emptied and starts over (no eviction bookkeeping, bounded memory).
public struct PublicKeyCache: Sendable {
    /// Most keys held at once.
    public let capacity: Int
    private var keys: [RawKey: PublicKey]

    /// The 32 raw bytes as four words: hashes with 4 combines instead of 32.
    private struct RawKey: Hashable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64
        init(_ raw: UnsafeRawBufferPointer) {
            a = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
            b = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            c = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            d = raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        }
    }

    /// An empty cache holding at most `capacity` keys.
    public init(capacity: Int = Limits.publicKeyCacheDefaultCapacity) {
        self.capacity = max(capacity, 1)
        self.keys = [:]
    }

    /// Number of keys held.
    public var count: Int { keys.count }

    /// The validated key for `raw` (exactly 32 bytes), or `nil` if they are not a valid key.
    public mutating func key(for raw: UnsafeRawBufferPointer) -> PublicKey? {
        guard raw.count == PublicKey.byteCount else { return nil }
        let id = RawKey(raw)
        if let known = keys[id] { return known }
        guard let key = try? PublicKey(bytes: raw) else { return nil }
        if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
        keys[id] = key
        return key
    }
}

extension PublicKeyCache {
    /// Runs `body` with `cache` moved into an optional the decoders can thread through, and
    /// moves it back afterwards (also when `body` throws).
    ///
    /// Moving rather than copying keeps the dictionary inside uniquely referenced, so the
    /// insertions `body` makes do not copy the whole cache on write.
    static func lend<T>(
        _ cache: inout PublicKeyCache, _ body: (inout PublicKeyCache?) throws(DecodingError) -> T
    ) throws(DecodingError) -> T {
        var lent: PublicKeyCache? = cache
        cache = PublicKeyCache(capacity: 1)  // drop the caller's reference to the dictionary
        defer { cache = lent ?? PublicKeyCache(capacity: cache.capacity) }
        return try body(&lent)
    }
}
