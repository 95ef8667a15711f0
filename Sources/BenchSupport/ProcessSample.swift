import Foundation

/// CPU time and resident memory of a process, read from Linux's /proc (`stat` fields 14–15, `status` VmRSS).
public struct ProcessSample: Sendable {
    /// When it was taken (`DispatchTime` uptime, ns).
    public var atNs: UInt64
    /// User + system CPU time so far, clock ticks.
    public var cpuTicks: UInt64
    /// Resident set size, KiB.
    public var rssKiB: UInt64

    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
    public static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// A sample of process `pid` ("self" with 0), or `nil` if it is gone.
    public static func take(pid: Int32) -> ProcessSample? {
        let dir = pid == 0 ? "/proc/self" : "/proc/\(pid)"
        guard let stat = try? String(contentsOfFile: dir + "/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let utime = UInt64(fields[11]), let stime = UInt64(fields[12]) else { return nil }
        var rss: UInt64 = 0
        if let status = try? String(contentsOfFile: dir + "/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) {
            rss = UInt64(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return ProcessSample(atNs: DispatchTime.now().uptimeNanoseconds, cpuTicks: utime + stime, rssKiB: rss)
    }

    /// A sample from its parts.
    public init(atNs: UInt64, cpuTicks: UInt64, rssKiB: UInt64) {
        self.atNs = atNs
        self.cpuTicks = cpuTicks
        self.rssKiB = rssKiB
    }

    /// CPU seconds used between two samples of one process.
    public static func cpuSeconds(from a: ProcessSample, to b: ProcessSample) -> Double {
        b.cpuTicks >= a.cpuTicks ? Double(b.cpuTicks - a.cpuTicks) / ticksPerSecond : 0
    }

    /// CPU use between the samples nearest to `fromNs` and `toNs` (inside the interval), percent of one core.
    public static func cpuPercent(_ samples: [ProcessSample], fromNs: UInt64, toNs: UInt64) -> Double? {
        guard let a = samples.first(where: { $0.atNs >= fromNs }), let b = samples.last(where: { $0.atNs <= toNs }),
              b.atNs > a.atNs, b.cpuTicks >= a.cpuTicks else { return nil }
        return Double(b.cpuTicks - a.cpuTicks) / ticksPerSecond / (Double(b.atNs - a.atNs) / 1e9) * 100
    }
}
