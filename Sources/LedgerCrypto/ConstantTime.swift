import CSodium

/// Comparison whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// `true` when `a` and `b` have the same length and the same bytes.
    /// The length itself is not secret.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        Sodium.ensureReady()
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 }
        }
    }
}
