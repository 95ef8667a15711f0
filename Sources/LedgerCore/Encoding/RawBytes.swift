import LedgerCrypto

/// Fast conversions from borrowed bytes to the fixed-size crypto values, for the decoders.
///
/// `Signature(bytes:)` and `Digest(bytes:)` are generic over `Collection` and not inlinable,
/// so across the module boundary they copy byte by byte through protocol witnesses — about
/// a third of transaction decoding time. Both types are a single inline SIMD vector of
/// exactly their byte count, so one unaligned vector load plus a bit cast builds the same
/// value. The layout assumption is checked here (falling back to the initialiser if it
/// ever stops holding) and by the decoding round-trip tests, which compare every signature and digest. `PublicKey` is deliberately not built this
/// way: its initialiser validates the point.
enum RawBytes {
    private static let signatureLayoutMatches =
        MemoryLayout<Signature>.size == MemoryLayout<SIMD64<UInt8>>.size
        && MemoryLayout<Signature>.stride == MemoryLayout<SIMD64<UInt8>>.stride
        && MemoryLayout<SIMD64<UInt8>>.size == Signature.byteCount

    private static let digestLayoutMatches =
        MemoryLayout<Digest>.size == MemoryLayout<SIMD32<UInt8>>.size
        && MemoryLayout<Digest>.stride == MemoryLayout<SIMD32<UInt8>>.stride
        && MemoryLayout<SIMD32<UInt8>>.size == Digest.byteCount

    /// The signature made of `raw`, which holds exactly 64 bytes.
    static func signature(_ raw: UnsafeRawBufferPointer) -> Signature {
        if signatureLayoutMatches {
            return unsafeBitCast(raw.loadUnaligned(as: SIMD64<UInt8>.self), to: Signature.self)
        }
        return try! Signature(bytes: raw)  // the caller passes exactly 64 bytes
    }

    /// The digest made of `raw`, which holds exactly 32 bytes.
    static func digest(_ raw: UnsafeRawBufferPointer) -> Digest {
        if digestLayoutMatches {
            return unsafeBitCast(raw.loadUnaligned(as: SIMD32<UInt8>.self), to: Digest.self)
        }
        return try! Digest(bytes: raw)  // the caller passes exactly 32 bytes
    }
}
