// The run: final checks and the result.
import LedgerCore
import LedgerCrypto

extension SimulationRun {
    /// Final checks and the result.
    func finish() -> RunResult {
        if violationCount == 0 { checkFollowerLag() }
        if violationCount == 0 { checkNoCommittedRequestPending() }
        if violationCount == 0 { checkEveryHonestValidatorKeptUp() }
        if checksLiveness && violationCount == 0 {
            let overdue = liveness.overdue(at: now)
            contractViolations += overdue
            for v in overdue { trace("VIOLATION \(v)") }
        }
        let honestHeights = validatingHonest.map { nodes[$0.index].ledger.height.rawValue }
        let common = honestHeights.min() ?? 0
        let firstHonest = validatingHonest.first
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
        result.gst = faults.gst
        result.viewChangesAfterGST = viewsEntered.filter { (viewChangeFirstStarted[$0] ?? now) >= faults.gst }.count
        result.validatorSetChange = membershipChange.map { ($0.block.rawValue, $0.lastSequence.rawValue) }
        result.epochSwitches = (0..<scenario.replicaCount).filter { nodes[$0].epoch > 0 }.count
        result.validatorSetChanges = membershipChanges.map { ($0.block.rawValue, $0.lastSequence.rawValue) }
        result.nodeEpochs = nodes.map(\.epoch)
        result.honestNodes = honest.map(\.index)
        result.fullNodeEpoch = follower?.epoch
        result.lastEpochMembers = epochSet(UInt64(membershipChanges.count)).nodes
        return result
    }

    /// A run that stopped short of its target within the fault bound (the time limit, or nothing left to do): no
    /// honest validator may trail the others by more than a window. The liveness checker watches transactions, which
    /// the others keep committing; this catches a validator left behind for good (e.g. one that executed its epoch's
    /// last block but never saw the checkpoint that completes the epoch, and so never switches).
    func checkEveryHonestValidatorKeptUp() {
        guard checksLiveness, stopReason == .timeLimit || stopReason == .quiescent else { return }
        let validating = validatingHonest
        guard let top = validating.map({ nodes[$0.index].ledger.height }).max() else { return }
        for id in validating where nodes[id.index].ledger.height.rawValue &+ parameters.window < top.rawValue {
            contractViolations.append(Violation(
                property: .liveness, time: now,
                detail: "honest \(id) stopped at \(nodes[id.index].ledger.height) in epoch \(nodes[id.index].epoch) while honest "
                    + "validators reached \(top) (\(stopReason.rawValue))"))
            return
        }
    }

    /// No live honest replica still waits for a request its own ledger committed (by its own commit or a state
    /// transfer): such a request would look unordered for ever, hold its view-change timer and make it suspect
    /// every primary it meets.
    func checkNoCommittedRequestPending() {
        for id in honest {
            let node = nodes[id.index]
            guard node.isUp, let replica = node.replica, replica.pendingRequestCount > 0 else { continue }
            for (i, batch) in node.ledger.batches.enumerated() {
                guard let request = batch.requests.first(where: { replica.holdsPending($0.requestDigest) }) else { continue }
                let violation = Violation(
                    property: .contract, time: now,
                    detail: "\(id) still holds request \(request.requestDigest.hex.prefix(12))… pending although its ledger "
                        + "committed it at height \(i + 1)")
                contractViolations.append(violation)
                return
            }
        }
    }
}
