/// Bounds on the crypto layer's own memory.
public enum CryptoLimits {
    /// Public keys the process remembers as validated (`ValidatedKeyMemo`): 2 × 64 Ki keys of
    /// 32 bytes, a few MiB with the sets' overhead — enough for every account a busy test
    /// network touches between two generations.
    public static let validatedKeyMemoCapacity = 131_072
}
