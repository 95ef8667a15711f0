import Foundation

/// Measures how many operations per second a closure sustains.
struct Stopwatch {
    /// Runs `body` (which performs `opsPerCall` operations) repeatedly for at least
    /// `minimumSeconds`, after one warm-up call, and returns operations per second.
    static func rate(minimumSeconds: Double, opsPerCall: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        try body()
        let clock = ContinuousClock()
        let start = clock.now
        var calls = 0
        var elapsed = 0.0
        repeat {
            try body()
            calls += 1
            elapsed = seconds(clock.now - start)
        } while elapsed < minimumSeconds
        return Double(calls * opsPerCall) / elapsed
    }

    /// Runs `body` on `threads` threads at once, each for `minimumSeconds`, and returns the
    /// total operations per second across all of them.
    static func parallelRate(
        threads: Int, minimumSeconds: Double, opsPerCall: Int = 1,
        _ body: @escaping @Sendable () -> Void
    ) -> Double {
        let results = Results(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { i in
            results.set(i, rate(minimumSeconds: minimumSeconds, opsPerCall: opsPerCall, body))
        }
        return results.sum
    }

    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    private final class Results: @unchecked Sendable {
        // Each slot is written by exactly one thread; read after concurrentPerform returns.
        private var values: [Double]
        private let lock = NSLock()
        init(count: Int) { values = Array(repeating: 0, count: count) }
        func set(_ i: Int, _ v: Double) { lock.lock(); values[i] = v; lock.unlock() }
        var sum: Double { lock.lock(); defer { lock.unlock() }; return values.reduce(0, +) }
    }
}

/// Formats a rate with thousands separators, e.g. "1,234,567".
func formatRate(_ value: Double) -> String {
    let n = Int(value.rounded())
    let s = String(n)
    var out = ""
    for (i, c) in s.reversed().enumerated() {
        if i > 0 && i % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return String(out.reversed())
}
