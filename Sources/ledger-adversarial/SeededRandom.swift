/// SplitMix64: every random choice of a run comes from one of these, seeded from `--seed`, so a
/// run replays exactly (up to the operating system's scheduling).
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator seeded with `seed`.
    init(seed: UInt64) { state = seed }

    /// A generator for `label` derived from `seed` (independent streams per scenario and client).
    init(seed: UInt64, label: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in label.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        state = seed ^ h
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

    /// 32 random bytes (a key seed).
    mutating func bytes32() -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<4 { withUnsafeBytes(of: next().littleEndian) { out.append(contentsOf: $0) } }
        return out
    }
}
