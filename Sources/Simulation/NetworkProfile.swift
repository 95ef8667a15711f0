/// The behaviour of the simulated network for one run, drawn from the seed.
///
/// Before GST the network may lose, duplicate and reorder messages and be partitioned;
/// from GST on, partitions are healed and losses drop to `lossAfterGST`, so PBFT's
/// liveness assumption (eventual synchrony) holds and the liveness checker can apply.
public struct NetworkProfile: Hashable, Sendable, CustomStringConvertible {
    /// Time on the wire for every delivered copy.
    public var delay: DelayDistribution
    /// Probability in [0, 0.3] that a message is lost before GST.
    public var lossBeforeGST: Double
    /// Probability that a message is lost from GST on.
    public var lossAfterGST: Double
    /// Probability that a message is delivered twice.
    public var duplicateRate: Double
    /// Probability that a message is held back by an extra delay, so later ones overtake it.
    public var reorderRate: Double
    /// The largest extra delay of a reordered message, in milliseconds.
    public var reorderMaxMs: UInt64

    /// Creates a profile from explicit values.
    public init(
        delay: DelayDistribution, lossBeforeGST: Double, lossAfterGST: Double,
        duplicateRate: Double, reorderRate: Double, reorderMaxMs: UInt64
    ) {
        self.delay = delay
        self.lossBeforeGST = lossBeforeGST
        self.lossAfterGST = lossAfterGST
        self.duplicateRate = duplicateRate
        self.reorderRate = reorderRate
        self.reorderMaxMs = reorderMaxMs
    }

    /// A network that delivers everything once, in 1–5 ms.
    public static let calm = NetworkProfile(
        delay: .uniform(minMs: 1, maxMs: 5), lossBeforeGST: 0, lossAfterGST: 0,
        duplicateRate: 0, reorderRate: 0, reorderMaxMs: 0)

    /// A hostile profile drawn from `random`: one of three delay shapes, loss up to
    /// `SimulationLimits.maxLossRate`, duplication up to 10 %, reordering up to 20 %.
    public static func random(_ random: inout SimulationRandom) -> NetworkProfile {
        let delay: DelayDistribution
        switch random.below(3) {
        case 0:
            delay = .uniform(minMs: random.inRange(1...5), maxMs: random.inRange(10...60))
        case 1:
            delay = .exponential(minMs: random.inRange(1...3), meanMs: random.inRange(5...30), maxMs: 150)
        default:
            delay = .bimodal(
                fastMaxMs: random.inRange(3...15), slowMinMs: 40, slowMaxMs: random.inRange(60...180),
                slowPercent: random.inRange(2...15))
        }
        let loss = Double(random.below(UInt64(SimulationLimits.maxLossRate * 1000) + 1)) / 1000
        return NetworkProfile(
            delay: delay,
            lossBeforeGST: loss,
            lossAfterGST: 0,
            duplicateRate: Double(random.below(101)) / 1000,
            reorderRate: Double(random.below(201)) / 1000,
            reorderMaxMs: random.inRange(10...100))
    }

    /// The worst one-way delay of a delivered message after GST, in milliseconds.
    public var maxDelayMs: UInt64 { delay.maxMs + reorderMaxMs }

    public var description: String {
        func pct(_ p: Double) -> String { "\(Int((p * 100).rounded()))%" }
        return "delay \(delay), loss \(pct(lossBeforeGST)) before GST / \(pct(lossAfterGST)) after, "
            + "dup \(pct(duplicateRate)), reorder \(pct(reorderRate)) (+≤\(reorderMaxMs)ms)"
    }
}
