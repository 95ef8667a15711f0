/// The steady-state part of a load phase: the phase minus its warm-up (pipelines filling, first view's batches)
/// and its cool-down (the last submissions, whose commits fall after the phase). Times are seconds on the run's clock.
public struct SteadyWindow: Equatable, Sendable {
    /// First instant inside the window.
    public var start: Double
    /// First instant after the window.
    public var end: Double

    /// The window of a phase `[phaseStart, phaseEnd)` without its first `warmupFraction` and last `cooldownFraction`.
    public init(phaseStart: Double, phaseEnd: Double, warmupFraction: Double = BenchLimits.warmupFraction,
                cooldownFraction: Double = BenchLimits.cooldownFraction) {
        precondition(warmupFraction >= 0 && cooldownFraction >= 0 && warmupFraction + cooldownFraction < 1,
                     "warm-up and cool-down must leave part of the phase")
        let length = max(0, phaseEnd - phaseStart)
        start = phaseStart + length * warmupFraction
        end = phaseEnd - length * cooldownFraction
    }

    /// Length in seconds.
    public var duration: Double { max(0, end - start) }

    /// Whether instant `t` lies in the window.
    public func contains(_ t: Double) -> Bool { t >= start && t < end }
}
