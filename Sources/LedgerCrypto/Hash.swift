import CSodium

/// BLAKE2b hashing (libsodium `crypto_generichash`).
public enum Hash {
    /// BLAKE2b with a 256-bit output over `bytes`.
    public static func blake2b256(_ bytes: UnsafeRawBufferPointer) -> Digest {
        Sodium.ensureReady()
        var out = InlineBytes32()
        withUnsafeMutableBytes(of: &out) { o in
            _ = crypto_generichash(
                o.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count),
                nil, 0)
        }
        return Digest(storage: out)
    }

    /// BLAKE2b-256 of a byte array.
    public static func blake2b256(_ bytes: [UInt8]) -> Digest {
        bytes.withUnsafeBytes { blake2b256($0) }
    }

    /// BLAKE2b with an arbitrary output length (1...64) and optional key (0...64 bytes).
    /// Used for the reference test vectors; the ledger itself uses `blake2b256`.
    public static func blake2b(_ bytes: [UInt8], outputLength: Int, key: [UInt8] = []) -> [UInt8] {
        precondition((1...64).contains(outputLength) && key.count <= 64, "BLAKE2b parameters out of range")
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: outputLength)
        bytes.withUnsafeBufferPointer { input in
            key.withUnsafeBufferPointer { k in
                _ = crypto_generichash(
                    &out, outputLength, input.baseAddress, UInt64(input.count),
                    k.count == 0 ? nil : k.baseAddress, k.count)
            }
        }
        return out
    }
}

/// Incremental BLAKE2b-256: feed pieces, then `finalize()` once.
///
/// libsodium's state is a 64-byte-aligned C struct that Swift imports as opaque, so it
/// lives in an aligned allocation owned by this non-copyable value.
public struct Hasher256: ~Copyable {
    private let state: UnsafeMutableRawPointer

    /// Starts a new hash.
    public init() {
        Sodium.ensureReady()
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        _ = crypto_generichash_init(OpaquePointer(state), nil, 0, 32)
    }

    deinit { state.deallocate() }

    /// Adds bytes to the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        _ = crypto_generichash_update(
            OpaquePointer(state), bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    /// Adds a byte array to the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds a digest's 32 bytes to the hash.
    public mutating func update(_ digest: Digest) {
        digest.withUnsafeBytes { update($0) }
    }

    /// Produces the digest and consumes the hasher.
    public consuming func finalize() -> Digest {
        var out = InlineBytes32()
        withUnsafeMutableBytes(of: &out) { o in
            _ = crypto_generichash_final(OpaquePointer(state), o.baseAddress!.assumingMemoryBound(to: UInt8.self), 32)
        }
        return Digest(storage: out)
    }
}
