/// The project's small seeded generator (SplitMix64): the choices a Byzantine behaviour makes,
/// the adversarial runner's clients, faults and fuzzers, and the seed expansion of
/// `SimulationRandom` all draw from it.
///
/// The driver seeds it (the simulator from its run seed, `ledger-adversarial` from `--seed`),
/// so runs replay exactly.
public struct AdversaryRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator seeded with `seed`.
    public init(seed: UInt64) { state = seed }

    /// A generator for `label` derived from `seed` (FNV-1a of the label mixed into the seed, one
    /// draw discarded), so each scenario, client or fault source gets its own stream.
    public init(seed: UInt64, label: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in label.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        state = seed ^ h
        _ = next()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (the tiny modulo bias does not matter here); 0 when `bound < 1`,
    /// so a caller's empty range never traps (one draw is used either way).
    public mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }

    /// `true` with probability `percent`/100.
    public mutating func percent(_ percent: Int) -> Bool { below(100) < percent }

    /// 32 random bytes (a key seed): four draws, each little-endian.
    public mutating func bytes32() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: next().littleEndian) { out.append(contentsOf: $0) } }
        return out
    }
}
