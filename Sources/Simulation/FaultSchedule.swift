import LedgerCore

/// Everything that goes wrong in one run apart from Byzantine behaviour, drawn from the seed.
public struct FaultSchedule: Hashable, Sendable {
    /// The mix this schedule was drawn for.
    public var mix: FaultMix
    /// The network's behaviour.
    public var network: NetworkProfile
    /// Partitions, each healed by `gst`.
    public var partitions: [PartitionPeriod]
    /// Crash/restart periods of honest replicas, each restarted by `gst`.
    public var crashes: [CrashPeriod]
    /// Per-replica clock offset in milliseconds: replica `i` reads `now = virtual + offset[i]`.
    public var clockOffsetsMs: [Int64]
    /// Global stabilisation time: from here on the network is synchronous and fault-free
    /// apart from delay, duplication and reordering, and every crashed replica is back.
    public var gst: VirtualTime

    /// Creates a schedule from explicit parts.
    public init(
        mix: FaultMix, network: NetworkProfile, partitions: [PartitionPeriod], crashes: [CrashPeriod],
        clockOffsetsMs: [Int64], gst: VirtualTime
    ) {
        self.mix = mix
        self.network = network
        self.partitions = partitions
        self.crashes = crashes
        self.clockOffsetsMs = clockOffsetsMs
        self.gst = gst
    }

    /// A fault-free schedule for `replicaCount` replicas (GST at time zero).
    public static func calm(replicaCount: Int) -> FaultSchedule {
        FaultSchedule(
            mix: .none, network: .calm, partitions: [], crashes: [],
            clockOffsetsMs: Array(repeating: 0, count: replicaCount), gst: .zero)
    }

    /// Draws a schedule for `mix`. `honest` are the replicas that may crash; clock offsets
    /// stay within ±`maxClockDriftMs / 2`, so any two clocks differ by at most the allowed drift.
    public static func draw(
        mix requested: FaultMix, replicaCount: Int, honest: ReplicaSet, maxClockDriftMs: UInt64,
        random: inout SimulationRandom
    ) -> FaultSchedule {
        let mix = requested == .random ? random.pick(FaultMix.concrete) : requested
        if mix == .none { return calm(replicaCount: replicaCount) }

        let network = NetworkProfile.random(&random)
        let gst = VirtualTime(milliseconds: random.inRange(SimulationLimits.gstRangeMs))
        let half = Int64(maxClockDriftMs / 2)
        let offsets = (0..<replicaCount).map { _ in
            half == 0 ? 0 : Int64(random.inRange(0...UInt64(2 * half))) - half
        }

        var partitions: [PartitionPeriod] = []
        if mix == .partitions || mix == .all {
            let count = 1 + random.index(SimulationLimits.maxPartitions)
            for _ in 0..<count {
                let start = random.inRange(0...gst.milliseconds - 1)
                let end = random.inRange(start + 1...gst.milliseconds)
                partitions.append(PartitionPeriod(
                    shape: drawShape(replicaCount: replicaCount, random: &random),
                    start: VirtualTime(milliseconds: start), end: VirtualTime(milliseconds: end)))
            }
        }

        var crashes: [CrashPeriod] = []
        let candidates = Array(honest)
        if (mix == .crashes || mix == .all) && !candidates.isEmpty {
            let count = 1 + random.index(SimulationLimits.maxCrashes)
            for _ in 0..<count {
                let replica = random.pick(candidates)
                let downtime = random.inRange(SimulationLimits.crashDowntimeMs)
                guard gst.milliseconds > downtime else { continue }
                let crashAt = random.inRange(0...gst.milliseconds - downtime)
                let period = CrashPeriod(
                    replica: replica, crashAt: VirtualTime(milliseconds: crashAt),
                    restartAt: VirtualTime(milliseconds: crashAt + downtime))
                // One replica's periods must not overlap; skip a draw that would.
                let overlaps = crashes.contains {
                    $0.replica == replica && $0.crashAt < period.restartAt && period.crashAt < $0.restartAt
                }
                if !overlaps { crashes.append(period) }
            }
            crashes.sort { ($0.crashAt, $0.replica) < ($1.crashAt, $1.replica) }
        }

        return FaultSchedule(
            mix: mix, network: network, partitions: partitions, crashes: crashes,
            clockOffsetsMs: offsets, gst: gst)
    }

    private static func drawShape(replicaCount: Int, random: inout SimulationRandom) -> PartitionShape {
        switch random.below(4) {
        case 0:
            var side = ReplicaSet()
            for i in 0..<replicaCount where random.chance(0.5) { side.insert(ReplicaID(i)) }
            if side.isEmpty { side.insert(ReplicaID(0)) }
            return .halves(side: side)
        case 1:
            return .isolatePrimary
        case 2:
            return .isolate(ReplicaID(random.index(replicaCount)))
        default:
            var from = ReplicaSet()
            from.insert(ReplicaID(random.index(replicaCount)))
            let to = ReplicaSet.all(replicaCount).subtracting(from)
            return random.chance(0.5) ? .oneWay(from: from, to: to) : .oneWay(from: to, to: from)
        }
    }

    /// One line per fault, for the run's header.
    public var summary: [String] {
        var lines = ["faults \(mix): GST \(gst.milliseconds)ms; \(network)"]
        if clockOffsetsMs.contains(where: { $0 != 0 }) {
            lines.append("clock offsets ms: \(clockOffsetsMs.map(String.init).joined(separator: " "))")
        }
        lines += partitions.map { "partition \($0)" }
        lines += crashes.map { $0.description }
        return lines
    }
}
