/// Fast conversions from borrowed bytes to the fixed-size crypto values, for the decoders.
///
/// `Signature(bytes:)` and `Digest(bytes:)` are generic over `Collection` and not inlinable,
/// so across the module boundary they copy byte by byte through protocol witnesses — about
/// a third of transaction decoding time. Both types are plain inline bytes (`BitwiseCopyable`,
/// any bit pattern valid), so one unaligned load builds the same value. `PublicKey` is
/// deliberately not built this way: its initialiser validates the point.
enum RawBytes {
    /// The signature made of `raw`, which holds exactly 64 bytes.
    static func signature(_ raw: UnsafeRawBufferPointer) -> Signature {
        precondition(raw.count == Signature.byteCount, "caller passes exactly 64 bytes")
        return raw.loadUnaligned(as: Signature.self)
    }

    /// The digest made of `raw`, which holds exactly 32 bytes.
    static func digest(_ raw: UnsafeRawBufferPointer) -> Digest {
        precondition(raw.count == Digest.byteCount, "caller passes exactly 32 bytes")
        return raw.loadUnaligned(as: Digest.self)
    }
}
