/// Wrapping key bytes that were validated before, without paying for the point check again.
extension PublicKey {
    /// Wraps 32 bytes WITHOUT checking that they are a valid prime-order point.
    ///
    /// `init(bytes:)` costs a scalar multiplication (~50 µs here), which dominated reading
    /// blocks back from the store and state transfer. Use this only for bytes something already
    /// vouches for: rows this node's own store wrote (every key was validated before the block
    /// was applied), or a batch whose digest a verified commit certificate covers (a quorum
    /// of validators, so at least one honest one, decoded it with validation). Never for bytes
    /// from a peer or client that nothing vouches for. Returns `nil` unless there are exactly
    /// 32 bytes.
    public init?(trustedBytes raw: UnsafeRawBufferPointer) {
        guard raw.count == PublicKey.byteCount else { return nil }
        self.init(storage: raw.loadUnaligned(as: InlineBytes32.self))
    }
}
