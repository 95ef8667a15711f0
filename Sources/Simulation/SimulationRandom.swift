import Adversary

/// The simulator's only source of randomness: xoshiro256** seeded through SplitMix64
/// (`AdversaryRandom`, the project's one SplitMix64).
///
/// Every random choice in a run (network delays, losses, fault schedule, client timing)
/// draws from one `SimulationRandom` created from the run's seed, in event order, so the
/// same seed replays the same run. Never use `SystemRandomNumberGenerator` in a run.
///
/// Why a second generator rather than `AdversaryRandom`: a sweep draws millions of values
/// per run, so the simulator wants xoshiro's 256-bit state and unbiased bounded draws
/// (Lemire's method in `below(_:)`), and every seed recorded in `docs/` and in regression
/// tests names a run of *this* stream; folding it into SplitMix64 would silently change
/// what each of those seeds replays.
public struct SimulationRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Expands `seed` into the 256-bit state with SplitMix64 (as the xoshiro authors advise),
    /// which guarantees the state is never all zero.
    public init(seed: UInt64) {
        var splitMix = AdversaryRandom(seed: seed)
        s0 = splitMix.next()
        s1 = splitMix.next()
        s2 = splitMix.next()
        s3 = splitMix.next()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    /// A uniform integer in `0..<bound` (Lemire's nearly-divisionless method); `bound` > 0.
    public mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "below(0) has no values")
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }

    /// A uniform integer in the closed range.
    public mutating func inRange(_ range: ClosedRange<UInt64>) -> UInt64 {
        let span = range.upperBound - range.lowerBound
        if span == UInt64.max { return next() }
        return range.lowerBound + below(span + 1)
    }

    /// A uniform `Int` in the half-open range; the range is non-empty.
    public mutating func index(_ count: Int) -> Int {
        precondition(count > 0, "index(0) has no values")
        return Int(below(UInt64(count)))
    }

    /// A uniform double in `[0, 1)` from the top 53 bits.
    public mutating func unit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `true` with probability `p` (0 never, 1 always).
    public mutating func chance(_ p: Double) -> Bool {
        if p <= 0 { return false }
        if p >= 1 { return true }
        return unit() < p
    }

    /// A uniformly chosen element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T {
        items[index(items.count)]
    }

    /// An independent generator for a sub-purpose (e.g. one per replica's key seed), so
    /// adding draws in one place does not shift every later draw elsewhere.
    public mutating func fork() -> SimulationRandom {
        SimulationRandom(seed: next())
    }
}
