/// A small seeded generator (SplitMix64) for the choices a Byzantine behaviour makes.
///
/// The driver seeds it (the simulator from its run seed), so Byzantine runs replay exactly.
public struct AdversaryRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator seeded with `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (bound > 0; the tiny modulo bias does not matter here).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(0) has no values")
        return Int(next() % UInt64(bound))
    }

    /// `true` with probability `percent`/100.
    public mutating func percent(_ percent: Int) -> Bool { below(100) < percent }
}
