/// How long a message spends on the simulated wire, chosen per seed.
public enum DelayDistribution: Hashable, Sendable, CustomStringConvertible {
    /// Uniform between the bounds (inclusive), in milliseconds.
    case uniform(minMs: UInt64, maxMs: UInt64)
    /// `minMs` plus an exponential tail with the given mean, capped at `maxMs`.
    case exponential(minMs: UInt64, meanMs: UInt64, maxMs: UInt64)
    /// Mostly fast, sometimes slow (a congested or far-away link).
    case bimodal(fastMaxMs: UInt64, slowMinMs: UInt64, slowMaxMs: UInt64, slowPercent: UInt64)

    /// Draws one delay in milliseconds.
    public func sample(_ random: inout SimulationRandom) -> UInt64 {
        switch self {
        case let .uniform(lo, hi):
            return random.inRange(lo...max(lo, hi))
        case let .exponential(lo, mean, hi):
            // Inverse transform of the exponential distribution; 1 - u is in (0, 1].
            let u = 1.0 - random.unit()
            let tail = -Double(mean) * _log(u)
            let capped = min(Double(max(lo, hi) - lo), tail)
            return lo + UInt64(capped)
        case let .bimodal(fastMax, slowMin, slowMax, slowPercent):
            if random.below(100) < slowPercent {
                return random.inRange(slowMin...max(slowMin, slowMax))
            }
            return random.inRange(1...max(1, fastMax))
        }
    }

    /// The largest delay this distribution can produce.
    public var maxMs: UInt64 {
        switch self {
        case let .uniform(lo, hi): return max(lo, hi)
        case let .exponential(lo, _, hi): return max(lo, hi)
        case let .bimodal(fastMax, slowMin, slowMax, _): return max(fastMax, max(slowMin, slowMax))
        }
    }

    public var description: String {
        switch self {
        case let .uniform(lo, hi): return "uniform(\(lo)..\(hi)ms)"
        case let .exponential(lo, mean, hi): return "exp(min \(lo), mean \(mean), max \(hi)ms)"
        case let .bimodal(f, sl, sh, p): return "bimodal(fast ≤\(f)ms, \(p)% slow \(sl)..\(sh)ms)"
        }
    }
}

/// Natural logarithm without Foundation (the simulator avoids it to stay portable and fast).

func _log(_ x: Double) -> Double {
    // log(x) = e * ln2 + log(m), m in [1, 2); log(m) via atanh series: 2 * atanh((m-1)/(m+1)).
    precondition(x > 0, "log of a non-positive number")
    let e = Double(x.exponent)
    let m = x.significand
    let y = (m - 1) / (m + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var k = 1.0
    for _ in 0..<20 {
        sum += term / k
        term *= y2
        k += 2
    }
    return e * 0.693_147_180_559_945_3 + 2 * sum
}
