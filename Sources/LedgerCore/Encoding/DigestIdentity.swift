import LedgerCrypto

/// Equality and hashing by a content digest, for types whose digest covers every field.
///
/// Two transactions (or batches, or headers) with the same BLAKE2b-256 digest of their
/// canonical encoding are the same value unless BLAKE2b is broken, so comparing the 32-byte
/// digest replaces comparing every field, and hashing four words of it replaces hashing
/// strings, keys and memos byte by byte.
enum DigestIdentity {
    /// Feeds the digest to `hasher` as four 64-bit words.
    static func hash(_ digest: Digest, into hasher: inout Hasher) {
        digest.withUnsafeBytes { raw in
            hasher.combine(raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            hasher.combine(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            hasher.combine(raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            hasher.combine(raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }
}

extension Transaction {
    /// Transactions are equal when their hashes (which cover every field) are equal.
    public static func == (lhs: Transaction, rhs: Transaction) -> Bool { lhs.hash == rhs.hash }

    /// Hashes the transaction hash.
    public func hash(into hasher: inout Hasher) { DigestIdentity.hash(hash, into: &hasher) }
}

extension Batch {
    /// Batches are equal when their digests (which cover every field) are equal.
    public static func == (lhs: Batch, rhs: Batch) -> Bool { lhs.digest == rhs.digest }

    /// Hashes the batch digest.
    public func hash(into hasher: inout Hasher) { DigestIdentity.hash(digest, into: &hasher) }
}

extension BlockHeader {
    /// Headers are equal when their hashes (which cover every field) are equal.
    public static func == (lhs: BlockHeader, rhs: BlockHeader) -> Bool { lhs.hash == rhs.hash }

    /// Hashes the header hash.
    public func hash(into hasher: inout Hasher) { DigestIdentity.hash(hash, into: &hasher) }
}
