/// A 64-bit LCG with an xorshift on the output, for the fuzz loops: a stream (and any failure it finds) is the
/// same on every run. Test-local because this target depends on LedgerJSON alone.
struct SeededGenerator: RandomNumberGenerator {
    /// The generator's state; the seed at first.
    var state: UInt64

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}
