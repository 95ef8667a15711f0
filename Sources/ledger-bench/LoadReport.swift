import BenchSupport
import Foundation
import LedgerJSON

/// Everything a run measured, as a table for people and a JSON document for tools.
struct LoadReport {
    var chainID: String
    var nodes: [NodeEntry]
    var reference: Int
    var accounts: Int
    var benchSeed: UInt64
    var mode: String
    var scenario: String?
    /// The `consensus` object of the node's genesis.json (`.null` when unknown).
    var consensus: JSONValue
    var dbSynchronous: String
    var calibration: VerifyCalibration
    var phases: [PhaseFigures]
    var summary: InclusionTally.Summary
    var rejectedReasons: [String: Int]
    var rejectedSamples: [String: String]
    var retriedReasons: [String: Int]
    var failedReceiptReasons: [String: Int]
    var failedOurs: Int
    var foreignTransactions: Int
    var heightGaps: [Int]
    var malformedNotifications: Int
    var connectionFailures: [String]
    var rssMiBMax: [Double?]
    var drained: Bool
    var presigned: Int
    var signSeconds: Double
    var connectionsPerNode: Int

    /// The sweep's answer: the highest rate whose p99 stayed under the budget (and committed ≥ 90 % of it).
    var sustainedRate: Double? {
        phases.filter { p in
            guard let rate = p.rate, let l = p.latency else { return false }
            return l.p99Ms < BenchLimits.sweepP99BudgetMs && p.committedTps >= 0.9 * rate && p.uncommittedInWindow == 0
        }.compactMap(\.rate).max()
    }

    /// The phase whose figures are the headline: the sustained sweep rate, else the last phase.
    var headline: PhaseFigures? {
        if let r = sustainedRate, let p = phases.first(where: { $0.rate == r }) { return p }
        return phases.last
    }

    // MARK: Table

    func printTable() {
        let c = calibration
        let batch = consensus["max_batch_txs"].map { "\($0)" } ?? "?"
        let delay = consensus["batch_delay_ms"].map { "\($0)" } ?? "?"
        print("")
        print("ledger-bench load: \(nodes.count) validators on \(c.cores) cores, chain \(chainID), \(accounts) accounts, "
              + "\(connectionsPerNode) conn/node, batch ≤ \(batch) tx / \(delay) ms, db_synchronous \(dbSynchronous)")
        let rounds = c.rounds.count > 1
            ? " (faster of " + c.rounds.map { String(format: "%.0f", $0) }.joined(separator: " before and ") + " after the load)" : ""
        print(String(format: "calibration: Ed25519 verify %.0f /s/core", c.verifyPerSecond) + rounds
              + String(format: " × %d cores / %d validators = ceiling %.0f tx/s", c.cores, c.validators, c.ceilingTps))
        print("steady state: first \(Int(BenchLimits.warmupFraction * 100)) % and last \(Int(BenchLimits.cooldownFraction * 100)) % of each phase dropped")
        print("")
        let header = ["phase", "offered/s", "commit/s", "ceiling", "p50 ms", "p95 ms", "p99 ms", "max ms", "blocks/s", "tx/block"]
        let widths = [16, 10, 10, 8, 8, 8, 8, 8, 9, 9]
        func row(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { i, p in
                i == 0 ? p.0.padding(toLength: p.1, withPad: " ", startingAt: 0) : String(repeating: " ", count: max(0, p.1 - p.0.count)) + p.0
            }.joined(separator: " ")
        }
        print(row(header))
        for p in phases {
            let l = p.latency
            func ms(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
            print(row([p.label, String(format: "%.0f", p.offeredTps), String(format: "%.0f", p.committedTps),
                       String(format: "%.1f%%", p.committedTps / c.ceilingTps * 100), ms(l?.p50Ms), ms(l?.p95Ms), ms(l?.p99Ms),
                       ms(l?.maxMs), String(format: "%.1f", p.blocksPerSecond), String(format: "%.1f", p.meanBlockTxs)]))
        }
        for p in phases {
            guard let a = p.admission else { continue }
            print("  \(p.label) admission (submit → broadcast_tx_sync answer): "
                  + String(format: "p50 %.1f ms, p99 %.1f ms, max %.1f ms", a.p50Ms, a.p99Ms, a.maxMs))
            let byNode = p.admissionByNode.enumerated().compactMap { i, s in
                s.map { "node\(nodes[i].id) " + String(format: "%.0f/%.0f", $0.p50Ms, $0.p99Ms) }
            }
            if byNode.count > 1 { print("    by node sent to (p50/p99 ms): " + byNode.joined(separator: "  ")) }
        }
        print("")
        var nodeLine = "node CPU % (of one core, steady state of the last phase) / RSS max MiB:"
        let last = phases.last
        for (i, n) in nodes.enumerated() {
            let cpu = last?.cpuPercent[i].map { String(format: "%.0f", $0) } ?? "-"
            let rss = rssMiBMax[i].map { String(format: "%.0f", $0) } ?? "-"
            nodeLine += "  node\(n.id) \(cpu) / \(rss)"
        }
        print(nodeLine)
        if let b = last?.benchCpuPercent { print(String(format: "load generator CPU: %.0f %% of one core", b)) }
        let s = summary
        print("transfers: presigned \(presigned) in \(String(format: "%.1f", signSeconds)) s, sent \(s.sent), accepted \(s.accepted), "
              + "rejected \(s.rejected), unanswered \(s.unanswered), committed \(s.committed)")
        print("ledger check (node\(nodes[reference].id)'s chain): lost \(s.lost), duplicated \(s.duplicated), "
              + "committed after rejection \(s.committedAfterRejection), failed receipts \(failedOurs)"
              + (drained ? "" : "  (NOT DRAINED: some accepted transfers were still missing when the wait ended)"))
        for (reason, n) in rejectedReasons.sorted(by: { $0.value > $1.value }) {
            print("  rejected \(reason): \(n)  e.g. \"\(rejectedSamples[reason] ?? "")\"")
        }
        for (reason, n) in retriedReasons.sorted(by: { $0.value > $1.value }) {
            print("  refused for now (\(reason)) and resent: \(n) times")
        }
        for (reason, n) in failedReceiptReasons.sorted(by: { $0.value > $1.value }) { print("  failed receipt \(reason): \(n)") }
        for f in connectionFailures { print("  connection failure: \(f)") }
        if heightGaps.contains(where: { $0 > 0 }) { print("  block stream height gaps per node: \(heightGaps)") }
        if foreignTransactions > 0 { print("  transactions in the chain not sent by this run: \(foreignTransactions)") }
        if malformedNotifications > 0 { print("  unreadable block notifications: \(malformedNotifications)") }
        for p in phases where p.backlogAtEnd > 0 {
            print("  \(p.label): \(p.backlogAtEnd) due transfers were still queued at the end (offered load not taken)")
        }
        if phases.count > 1 && phases.allSatisfy({ $0.rate != nil }) {
            print(sustainedRate.map { "sweep: highest rate with p99 < \(Int(BenchLimits.sweepP99BudgetMs)) ms: \(Int($0)) tx/s" }
                  ?? "sweep: no rate kept p99 under \(Int(BenchLimits.sweepP99BudgetMs)) ms")
        }
        for p in phases where p.killAtSeconds != nil {
            let r = p.recovery
            let node = p.killedNode.map { "node\(nodes[$0].id)" } ?? "?"
            print("recovery: killed primary \(node)" + String(format: " at %.1f s; pre-kill %.0f tx/s; lowest 250 ms window %.0f tx/s; ",
                         p.killAtSeconds ?? 0, r?.baselineTps ?? 0, r?.lowestTps ?? 0)
                  + (r?.recoverySeconds.map { String(format: "back to ≥ 90 %% after %.2f s", $0) } ?? "NOT back to 90 % within the phase"))
        }
    }

    // MARK: JSON

    func json() -> JSONValue {
        func number(_ d: Double?) -> JSONValue { d.map(JSONValue.double) ?? .null }
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }) }
        func phaseJSON(_ p: PhaseFigures) -> [(String, JSONValue)] {
            var o: [(String, JSONValue)] = [
                ("label", .string(p.label)), ("offered_tps", number(p.offeredTps)), ("committed_tps", number(p.committedTps)),
                ("ratio_to_ceiling", number(p.committedTps / calibration.ceilingTps)), ("blocks_per_s", number(p.blocksPerSecond)),
                ("mean_block_txs", number(p.meanBlockTxs)), ("uncommitted_in_window", .int(p.uncommittedInWindow)),
                ("steady_window_s", .array([number(p.window.start), number(p.window.end)])), ("backlog_at_end", .int(p.backlogAtEnd)),
                ("cpu_percent", .object(nodes.indices.compactMap { i in p.cpuPercent[i].map { ("node\(nodes[i].id)", number($0)) } })),
            ]
            if let b = p.benchCpuPercent { o.append(("bench_cpu_percent", number(b))) }
            if let r = p.rate { o.append(("rate", number(r))) }
            if let w = p.outstanding { o.append(("outstanding", .int(w))) }
            if let l = p.latency {
                o += [("p50_ms", number(l.p50Ms)), ("p95_ms", number(l.p95Ms)), ("p99_ms", number(l.p99Ms)), ("max_ms", number(l.maxMs)),
                      ("mean_ms", number(l.meanMs)), ("latency_samples", .int(l.count))]
            }
            if let a = p.admission {
                o += [("admit_p50_ms", number(a.p50Ms)), ("admit_p99_ms", number(a.p99Ms)), ("admit_max_ms", number(a.maxMs))]
                o.append(("admit_p99_ms_by_node", .array(p.admissionByNode.enumerated().compactMap { i, s in
                    s.map { .object([("id", .int(nodes[i].id)), ("p50_ms", number($0.p50Ms)), ("p99_ms", number($0.p99Ms))]) }
                })))
            }
            if let k = p.killAtSeconds {
                o += [("kill_at_s", number(k)), ("killed_node", p.killedNode.map { .int(nodes[$0].id) } ?? .null),
                      ("pre_kill_tps", number(p.recovery?.baselineTps)), ("lowest_window_tps", number(p.recovery?.lowestTps)),
                      ("recovery_s", number(p.recovery?.recoverySeconds)), ("window_tps_250ms", .array(p.windowRates.map(number)))]
            }
            return o
        }
        let s = summary
        var out: JSONValue = .object([
            ("chain_id", .string(chainID)), ("validators", .int(nodes.count)), ("mode", .string(mode)), ("accounts", .int(accounts)),
            ("bench_seed", .uint(benchSeed)), ("connections_per_node", .int(connectionsPerNode)), ("reference_node", .int(nodes[reference].id)),
            ("verify_per_s", number(calibration.verifyPerSecond)), ("verify_per_s_rounds", .array(calibration.rounds.map(number))),
            ("cores", .int(calibration.cores)), ("ceiling_tps", number(calibration.ceilingTps)),
            ("genesis", .object([("consensus", consensus), ("bench_accounts", .int(accounts)), ("bench_seed", .uint(benchSeed))])),
            ("db_synchronous", .string(dbSynchronous)),
            ("presigned", .int(presigned)), ("sign_seconds", number(signSeconds)),
            ("sent", .int(s.sent)), ("accepted", .int(s.accepted)), ("rejected", .int(s.rejected)), ("unanswered", .int(s.unanswered)),
            ("committed", .int(s.committed)), ("lost", .int(s.lost)), ("duplicated", .int(s.duplicated)),
            ("committed_after_rejection", .int(s.committedAfterRejection)), ("committed_unanswered", .int(s.committedUnanswered)),
            ("failed_receipts", .int(failedOurs)), ("failed_receipt_reasons", counts(failedReceiptReasons)),
            ("rejected_reasons", counts(rejectedReasons)), ("retried_reasons", counts(retriedReasons)),
            ("foreign_transactions", .int(foreignTransactions)),
            ("height_gaps", .array(heightGaps.map(JSONValue.int))), ("connection_failures", .array(connectionFailures.map(JSONValue.string))),
            ("drained", .bool(drained)),
            ("rss_mib_max", number(rssMiBMax.compactMap { $0 }.max())),
            ("nodes", .array(nodes.indices.map { i in
                .object([("id", .int(nodes[i].id)), ("rpc", .string(nodes[i].rpc)), ("pid", .int(Int(nodes[i].pid))),
                         ("rss_mib_max", number(rssMiBMax[i])), ("cpu_percent", number(phases.last?.cpuPercent[i] ?? nil))])
            })),
            ("phases", .array(phases.map { .object(phaseJSON($0)) })),
        ])
        if let scenario { out = out.setting("scenario", .string(scenario)) }
        if phases.count > 1 { out = out.setting("max_rate_p99_under_250ms", number(sustainedRate)) }
        if let h = headline {
            for (k, v) in phaseJSON(h) where k != "label" { out = out.setting(k, v) }
            out = out.setting("headline_phase", .string(h.label))
        }
        return out
    }

    /// Writes the JSON document to `path` (indented, keys in the order above).
    func write(path: String) throws {
        try Data(json().serializedBytes(pretty: true)).write(to: URL(fileURLWithPath: path))
    }
}
