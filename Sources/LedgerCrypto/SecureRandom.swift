import CSodium

/// Cryptographically secure random bytes (libsodium `randombytes_buf`).
///
/// Only for keys and nonces. Consensus and simulation code take a seeded generator instead.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(count: Int) -> [UInt8] {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return out
    }
}
