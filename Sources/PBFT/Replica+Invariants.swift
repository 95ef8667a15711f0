import LedgerCore
import LedgerCrypto

/// The replica checks itself: invariants of its own state, grouped by the part that owns them.
///
/// They hold after every `handle` whatever the peers send (peer input is validated and rejected
/// before it reaches this state), so a violation is a bug in the replica. Debug builds assert
/// them after every `handle`; the simulator checks them after every event of every run and
/// reports a violation with the seed that replays it. Each invariant is named (`group.name`) and
/// its failure message gives the values that break it.
extension Replica {
    /// Every invariant of this replica's state that does not hold (empty when all hold).
    public func checkInvariants() -> [InvariantViolation] {
        guard state.started else { return [] }
        var report = InvariantReport()
        let c = configuration
        state.queue.checkInvariants(maxPending: c.maxPendingRequests, maxBatchBytes: c.maxBatchBytes, &report)
        state.pace.checkInvariants(historyViews: c.paceHistoryViews, isEnabled: c.isPaceCheckEnabled,
                                   isWatching: !state.isChangingView && !isPrimary, &report)
        state.viewChange.checkInvariants(view: state.view, isChangingView: state.isChangingView, me: me, &report)
        state.fetch.checkInvariants(maxWanted: 2 * Int(c.window) + PBFTLimits.maxFetchDigests, me: me, &report)
        state.rejoin.checkInvariants(view: state.view, isChangingView: state.isChangingView, me: me, &report)
        checkOwnViewChange(&report)
        checkExecution(&report)
        checkLog(&report)
        checkCheckpoints(&report)
        checkTimers(&report)
        state.epoch.checkInvariants(stableCheckpoint: state.lowWatermark, lastExecuted: state.lastExecuted, &report)
        return report.violations
    }

    /// The view never falls below a view we signed a VIEW-CHANGE for, unless we abandoned that
    /// view change as lone (`Replica+Rejoin.swift`) and follow until it.
    private func checkOwnViewChange(_ report: inout InvariantReport) {
        guard let asked = state.viewChange.own?.message.body.newView else { return }
        let abandoned = state.rejoin.abandonedViewChange
        report.expect(asked <= state.view || (abandoned.map { $0 >= asked } ?? false), "viewChange.notBelowOwn",
                      "in \(state.view) after signing a VIEW-CHANGE for \(asked) (abandoned: \(abandoned.map { "\($0)" } ?? "none"))")
    }

    /// Execution follows commitment; the stable checkpoint is committed (or being fetched); a
    /// state transfer aims above what we committed; the primary never proposes below the stable
    /// checkpoint; the voting fence is above the stable checkpoint until it is lifted.
    private func checkExecution(_ report: inout InvariantReport) {
        let s = state
        report.expect(s.lastExecuted <= s.lastCommitted, "execution.order",
                      "last executed \(s.lastExecuted) is above last committed \(s.lastCommitted)")
        report.expect(s.lowWatermark <= s.lastCommitted || s.stateTransferRequest != nil, "execution.stable",
                      "stable checkpoint \(s.lowWatermark) is above last committed \(s.lastCommitted) with no state transfer asked")
        if let target = s.stateTransferTarget {
            report.expect(target > s.lastCommitted, "execution.stateTransfer",
                          "a state transfer to \(target) is asked at last committed \(s.lastCommitted)")
        }
        report.expect(s.nextSequence >= s.lowWatermark, "execution.nextSequence",
                      "next sequence \(s.nextSequence) is below the stable checkpoint \(s.lowWatermark)")
        report.expect(s.lastCommittedAtPreviousTick <= s.lastCommitted, "execution.tick",
                      "last committed \(s.lastCommitted) is below its value at the previous tick \(s.lastCommittedAtPreviousTick)")
        report.expect(!s.isProposing, "execution.proposing", "still proposing between events")
        if let fence = s.votingFence {
            report.expect(fence > s.lowWatermark, "execution.votingFence",
                          "voting fence \(fence) is not above the stable checkpoint \(s.lowWatermark)")
        }
    }

    /// Every log entry is above the low watermark, holds only messages for its own sequence
    /// number, a batch with each PRE-PREPARE, prepared and committed batches matching their
    /// certificates, and our own votes exactly as recorded in `signedSlots`.
    private func checkLog(_ report: inout InvariantReport) {
        // By index, so each entry is read in place rather than copied (this runs after every event).
        for index in state.entries.indices {
            checkEntry(state.entries.keys[index], state.entries.values[index], &report)
        }
    }

    private func checkEntry(_ seq: SequenceNumber, _ e: LogEntry<B>, _ report: inout InvariantReport) {
        report.expect(seq > state.lowWatermark, "log.aboveLowWatermark",
                      "an entry at \(seq), at or below the low watermark \(state.lowWatermark)")
        if let pp = e.prePrepare {
            report.expect(pp.body.sequence == seq, "log.keyed", "the PRE-PREPARE for \(pp.body.sequence) is held at \(seq)")
            report.expect(e.batch?.digest == pp.body.digest, "log.batch",
                          "at \(seq) the PRE-PREPARE names \(pp.body.digest), the batch held is \(e.batch.map { "\($0.digest)" } ?? "none")")
            if pp.signer == me {
                expectSigned(.prePrepare, pp.body.view, seq, pp.body.digest, &report)
            }
        }
        report.expect((e.prepared == nil) == (e.preparedBatch == nil)
                      && (e.prepared.map { $0.sequence == seq && $0.digest == e.preparedBatch?.digest } ?? true), "log.prepared",
                      "at \(seq) the prepared certificate \(e.prepared.map { "(\($0.sequence), \($0.digest))" } ?? "none") "
                      + "holds batch \(e.preparedBatch.map { "\($0.digest)" } ?? "none")")
        report.expect((e.certificate == nil) == (e.committedBatch == nil)
                      && (e.certificate.map { $0.sequence == seq && $0.digest == e.committedBatch?.digest } ?? true), "log.committed",
                      "at \(seq) the commit certificate \(e.certificate.map { "(\($0.sequence), \($0.digest))" } ?? "none") "
                      + "holds batch \(e.committedBatch.map { "\($0.digest)" } ?? "none")")
        if let p = e.prepares[me] {
            expectSigned(.prepare, p.body.view, seq, p.body.digest, &report)
        } else {
            report.expect(!e.sentPrepare, "log.ownPrepare", "at \(seq) a PREPARE was sent but is not held")
        }
        if let c = e.commits[me] {
            expectSigned(.commit, c.body.view, seq, c.body.digest, &report)
        } else {
            report.expect(!e.sentCommit, "log.ownCommit", "at \(seq) a COMMIT was sent but is not held")
        }
    }

    /// Our own vote at (`phase`, `view`, `seq`) is the one `signedSlots` remembers signing.
    private func expectSigned(_ phase: Slot.Phase, _ view: View, _ seq: SequenceNumber, _ digest: Digest,
                              _ report: inout InvariantReport) {
        let signed = state.signedSlots[Slot(phase: phase, view: view, sequence: seq)]
        report.expect(signed == digest, "log.signedSlots",
                      "our \(phase) at (\(view), \(seq)) for \(digest) is recorded as \(signed.map { "\($0)" } ?? "unsigned")")
    }

    /// Checkpoint votes are above the low watermark and held under their own sequence number and
    /// signer; our checkpoints are ours.
    private func checkCheckpoints(_ report: inout InvariantReport) {
        for (seq, votes) in state.checkpointVotes {
            report.expect(seq > state.lowWatermark, "checkpoint.votesAboveLowWatermark",
                          "votes for \(seq) held at or below the low watermark \(state.lowWatermark)")
            for (signer, vote) in votes {
                report.expect(vote.signer == signer && vote.body.sequence == seq, "checkpoint.votesKeyed",
                              "\(vote.signer)'s CHECKPOINT for \(vote.body.sequence) is held as \(signer)'s for \(seq)")
            }
        }
        for (seq, own) in state.ownCheckpoints {
            report.expect(own.signer == me && own.body.sequence == seq, "checkpoint.own",
                          "\(own.signer)'s CHECKPOINT for \(own.body.sequence) is held as ours for \(seq)")
        }
        for (signer, latest) in state.latestCheckpointFrom {
            report.expect(latest.signer == signer, "checkpoint.latestKeyed", "\(latest.signer)'s CHECKPOINT is held as \(signer)'s")
        }
    }

    /// The retransmission timer always runs once started; the relay timer runs only at a backup
    /// working in its view; the view-change timeout stays within its configured range.
    private func checkTimers(_ report: inout InvariantReport) {
        let c = configuration
        report.expect(state.timers.retransmitTimerRunning, "timers.retransmit", "the retransmission timer is not set")
        report.expect(!state.timers.relayTimerRunning || (c.isRequestRelayEnabled && !state.isChangingView && !isPrimary), "timers.relay",
                      "the relay timer runs while relaying is \(c.isRequestRelayEnabled ? "on" : "off"), "
                      + "\(state.isChangingView ? "changing view" : "in a view") as \(isPrimary ? "primary" : "backup")")
        report.expect(state.timers.viewChangeTimeoutMs >= c.viewChangeTimeoutMs && state.timers.viewChangeTimeoutMs <= c.maxViewChangeTimeoutMs,
                      "timers.viewChangeTimeout",
                      "view-change timeout \(state.timers.viewChangeTimeoutMs) ms outside [\(c.viewChangeTimeoutMs), \(c.maxViewChangeTimeoutMs)]")
    }
}
