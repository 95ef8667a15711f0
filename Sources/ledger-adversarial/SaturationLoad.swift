import Foundation
import LedgerJSON

/// An open-loop load near saturation run beside a scenario's fault script: `ledger-bench load`
/// offering `rate` transfers/s from the genesis-funded bench accounts to the honest nodes for
/// `seconds`, its committed rate read from its JSON report. Compared with the same load in
/// `baseline`, it is Aardvark's measure: throughput under attack as a share of fault-free
/// throughput near saturation.
struct SaturationLoad: Sendable {
    /// Bench accounts the cluster's genesis funds for it (and the seed they derive from).
    static let accounts = 1_000
    static let benchSeed: UInt64 = 1

    let bench: String
    let rate: Int
    let seconds: Int

    /// What the bench measured.
    struct Figures: Sendable {
        var committedTps: Double
        var p99Ms: Double?
        var lost: Int
        var duplicated: Int
    }

    /// Runs the load against `nodes` (id, RPC URL, pid) and returns its figures, or a reason it has none.
    func run(nodes: [(id: Int, rpc: String, pid: Int32)], directory: String) async -> Result<Figures, RunnerError> {
        let nodesFile = (directory as NSString).appendingPathComponent("saturation-nodes.json")
        let report = (directory as NSString).appendingPathComponent("saturation.json")
        let log = (directory as NSString).appendingPathComponent("saturation.log")
        let entries = JSONValue.array(nodes.map {
            .object([("id", .int($0.id)), ("rpc", .string($0.rpc)), ("pid", .int(Int($0.pid)))])
        })
        do { try Data(entries.serializedBytes()).write(to: URL(fileURLWithPath: nodesFile)) } catch {
            return .failure(.tool("cannot write \(nodesFile): \(error)"))
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bench)
        p.arguments = ["load", "--nodes", nodesFile, "--rate", "\(rate)", "--duration", "\(seconds)",
                       "--accounts", "\(Self.accounts)", "--bench-seed", "\(Self.benchSeed)", "--drain-timeout", "15",
                       "--calibration-seconds", "1", "--json", report]
        FileManager.default.createFile(atPath: log, contents: nil)
        let out = FileHandle(forWritingAtPath: log)
        p.standardOutput = out
        p.standardError = out
        do { try p.run() } catch { return .failure(.tool("cannot start \(bench): \(error)")) }
        // The load, its drain and the bench's own set-up (signing, calibration), with room to spare.
        let deadline = Date().addingTimeInterval(Double(seconds) + 90)
        while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(200)) }
        if p.isRunning {
            p.terminate()
            try? await Task.sleep(for: .seconds(2))
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            try? out?.close()
            return .failure(.tool("ledger-bench did not finish within \(seconds + 90) s (log: \(log))"))
        }
        try? out?.close()
        guard let data = FileManager.default.contents(atPath: report),
              let json = try? JSONValue.parse(Array(data)),
              let phase = json["phases"]?.arrayValue?.first, let tps = phase["committed_tps"]?.doubleValue else {
            return .failure(.tool("ledger-bench wrote no report (exit \(p.terminationStatus); log: \(log))"))
        }
        return .success(Figures(committedTps: tps, p99Ms: phase["p99_ms"]?.doubleValue,
                                lost: json["lost"]?.intValue ?? 0, duplicated: json["duplicated"]?.intValue ?? 0))
    }
}
