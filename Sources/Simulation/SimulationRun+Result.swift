// The run: final checks and the result.
import LedgerCore
import LedgerCrypto

extension SimulationRun {
    /// Final checks and the result.
    func finish() -> RunResult {
        if violationCount == 0 { checkFollowerLag() }
        if checksLiveness && violationCount == 0 {
            let overdue = liveness.overdue(at: now)
            contractViolations += overdue
            for v in overdue { trace("VIOLATION \(v)") }
        }
        let honestHeights = honest.map { nodes[$0.index].ledger.height.rawValue }
        let common = honestHeights.min() ?? 0
        let firstHonest = honest.first { _ in true }
        let reference = firstHonest.map { nodes[$0.index].ledger } ?? nodes[0].ledger
        let hash = reference.header(at: Height(common))?.hash ?? .zero
        let evidence = nodes.reduce(0) { $0 + $1.evidenceCount }
        let violations = allViolations
        for v in violations { trace("VIOLATION \(v)") }
        trace("end: \(stopReason.rawValue); honest heights \(honestHeights); \(viewsEntered.count) view changes "
            + "(\(abandonedViewChanges) lone ones abandoned); "
            + "\(transactionsCommitted) txs; \(messagesDelivered) messages delivered; \(rejectedAtVerification) rejected at verification; "
            + "largest honest message \(largestMessageBytes) bytes; \(traffic.repliesBetweenHonest) replies between honest replicas, "
            + "\(traffic.repliesToByzantine) to Byzantine ones; \(traffic.refusedOffSignerLink) refused off their signer's link; "
            + "\(traffic.requestsRelayed) requests relayed")
        var result = RunResult(
            scenario: scenario, violations: violations, commits: Int(common), viewChanges: viewsEntered.count,
            ledgerHash: hash, ledgerHeight: common, endTime: now, stopReason: stopReason, events: events,
            messagesDelivered: messagesDelivered, evidenceCount: evidence, transactionsCommitted: transactionsCommitted,
            largestMessageBytes: largestMessageBytes, traffic: traffic)
        result.abandonedViewChanges = abandonedViewChanges
        return result
    }
}
