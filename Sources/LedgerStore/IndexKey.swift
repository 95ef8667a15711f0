import LedgerCrypto

/// The first 8 bytes of a digest or key as an integer, for compact SQLite indexes
/// (the full 32 bytes are compared as well on lookup, so collisions only cost a row read).
enum IndexKey {
    static func of(_ digest: Digest) -> Int64 {
        digest.withUnsafeBytes { Int64(bitPattern: $0.loadUnaligned(as: UInt64.self)) }
    }

    static func of(_ key: PublicKey) -> Int64 {
        key.withUnsafeBytes { Int64(bitPattern: $0.loadUnaligned(as: UInt64.self)) }
    }
}
