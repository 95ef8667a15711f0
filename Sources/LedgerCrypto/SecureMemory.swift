import CSodium

/// Zeroing of secret bytes the caller holds (a decrypted seed, a passphrase) in a way the
/// optimiser keeps (`sodium_memzero`).
public enum SecureMemory {
    /// Overwrites every byte of `bytes` with zero.
    public static func zero(_ bytes: inout [UInt8]) {
        let n = bytes.count
        bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { sodium_memzero(base, n) } }
    }
}
